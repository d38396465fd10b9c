"""What the audit log keeps of a change: only the fields that changed, secrets masked after the diff."""

from __future__ import annotations

import datetime as dt
import uuid

from gateway.developers.audit import MASK, field_changes, masked_uri, provider_changes, secret
from gateway.upstreams.configuration import ProviderStatus


def test_only_changed_fields_are_kept_and_values_become_json() -> None:
    when = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    key = uuid.UUID(int=7)
    changes = field_changes({"a": 1, "b": [1], "c": None}, {"a": 1, "b": [2], "c": when, "d": key})
    assert changes == {
        "b": {"before": [1], "after": [2]},
        "c": {"before": None, "after": "2026-12-03T12:00:00+00:00"},
        "d": {"before": None, "after": str(key)},
    }


def test_a_changed_secret_shows_as_a_change_of_masks() -> None:
    changes = field_changes({"s": "old-secret"}, {"s": "new-secret"}, {"s": secret})
    assert changes == {"s": {"before": MASK, "after": MASK}}
    assert field_changes({"s": "same"}, {"s": "same"}, {"s": secret}) == {}
    assert field_changes({}, {"s": "new"}, {"s": secret}) == {"s": {"before": None, "after": MASK}}


def test_uris_keep_their_query_names_not_their_values() -> None:
    assert (
        masked_uri("https://h.example/hook?token=abc&v=2&flag")
        == "https://h.example/hook?token=***&v=***&flag"
    )
    assert masked_uri("https://h.example/hook") == "https://h.example/hook"
    assert masked_uri(None) is None
    changes = field_changes({"u": "https://h/x?t=1"}, {"u": "https://h/x?t=2"}, {"u": masked_uri})
    assert changes == {"u": {"before": "https://h/x?t=***", "after": "https://h/x?t=***"}}


def status(*, enabled: bool, overridden: bool, credentials_set: bool) -> ProviderStatus:
    return ProviderStatus(
        provider="plaid", configured=True, enabled=enabled, app_credential_keys=("client_id", "secret"),
        credentials_set=credentials_set, overridden=overridden,
    )  # fmt: skip


def test_replacing_provider_keys_is_a_change_even_though_both_are_masked() -> None:
    keyed = status(enabled=True, overridden=True, credentials_set=True)
    changes = provider_changes(keyed, keyed, credentials={"secret": "new", "client_id": "c"})
    assert changes == {"credentials": {"before": MASK, "after": {"client_id": MASK, "secret": MASK}}}
    assert provider_changes(keyed, keyed) == {}
