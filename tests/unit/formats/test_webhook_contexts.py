"""Webhook formats render from the event and their plain context value alone (no database session)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from formats.mx.webhooks import MX_WEBHOOKS, MxEventContext
from formats.plaid.webhooks import PLAID_WEBHOOKS, PlaidEventContext
from formats.registry import WEBHOOK_FORMATS, get_format
from formats.webhook import EventView
from formats.yodlee.webhooks import YODLEE_WEBHOOKS, YodleeEventContext

OCCURRED = dt.datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=dt.UTC)
LINK_ID = uuid.UUID("11111111-2222-3333-4444-555555555555")


def view(
    event_type: str, payload: dict[str, Any], context: Any, link_id: uuid.UUID | None = LINK_ID
) -> EventView:
    return EventView(uuid.uuid4(), event_type, payload, OCCURRED, link_id, [], context)


def test_the_table_names_every_format_by_its_own_name() -> None:
    assert list(WEBHOOK_FORMATS) == ["moneykit", "plaid", "mx", "yodlee"]
    assert all(get_format(name).name == name for name in WEBHOOK_FORMATS)  # type: ignore[union-attr]
    assert get_format("nope") is None


def test_plaid_names_its_environment_from_the_apps_mode() -> None:
    environments = {}
    for mode in ("sandbox", "live"):
        context: PlaidEventContext = {"app_mode": mode}
        body = PLAID_WEBHOOKS.render(view("transactions.updates_available", {}, context), "key")
        assert body is not None
        environments[mode] = body["environment"]
    assert environments == {"sandbox": "sandbox", "live": "production"}


def test_mx_names_the_members_user_by_the_guid_it_was_given() -> None:
    context: MxEventContext = {"user_guid": "USR-given"}
    body = MX_WEBHOOKS.render(view("transactions.updates_available", {"created": 2}, context), "key")
    assert body is not None
    assert (body["user_guid"], body["transactions_created_count"]) == ("USR-given", 2)


def yodlee_context(login_name: str | None) -> YodleeEventContext:
    return {"login_name": login_name, "provider_account_id": 7, "consent_id": 8, "provider_id": 100001,
            "account_ids": [3, 4], "products": ["transactions"],
            "link_created_at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)}  # fmt: skip


def test_yodlee_renders_the_ids_and_login_name_it_was_given() -> None:
    body = YODLEE_WEBHOOKS.render(
        view("link.state_changed", {"state": "error"}, yodlee_context("ann")), "n-1"
    )
    assert body == {"event": {"info": "AUTO_REFRESH_UPDATES", "notificationId": "n-1",
                              "notificationTime": "2026-03-01T12:30:15Z",
                              "data": [{"autoRefresh": {"status": "DISABLED",
                                                        "additionalStatus": "USER_ACTION_REQUIRED"},
                                        "accountIds": [3, 4], "loginName": "ann",
                                        "providerAccountId": 7}]}}  # fmt: skip
    refresh = YODLEE_WEBHOOKS.render(
        view("link.product_refresh", {"product": "accounts"}, yodlee_context("ann")), "n-2"
    )
    assert refresh is not None
    assert refresh["event"]["data"]["providerAccount"][0]["createdDate"] == "2026-01-02T03:04:05Z"


def test_yodlee_sends_nothing_without_a_login_name_or_a_link() -> None:
    event = ("link.state_changed", {"state": "connected"})
    assert YODLEE_WEBHOOKS.render(view(*event, yodlee_context(None)), "n") is None
    assert YODLEE_WEBHOOKS.render(view(*event, {}, link_id=None), "n") is None


def test_plaid_tells_a_revoked_permission_from_a_login_needed_again() -> None:
    context: PlaidEventContext = {"app_mode": "sandbox"}
    codes = {}
    for reason in (None, "user_permission_revoked"):
        payload = {"state": "error", "error": "auth_expired"} | ({"reason": reason} if reason else {})
        body = PLAID_WEBHOOKS.render(view("link.state_changed", payload, context), "key")
        assert body is not None
        codes[reason] = (body["webhook_type"], body["webhook_code"])
    assert codes == {None: ("ITEM", "ERROR"), "user_permission_revoked": ("ITEM", "USER_PERMISSION_REVOKED")}
