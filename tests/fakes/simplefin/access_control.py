"""Who may read `/accounts` and how often: HTTP Basic credentials (spec §3) and the Bridge's per-access daily
quota (spec §8)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from tests.fakes.simplefin.models import Access

ALL_ACCOUNTS_SCOPE = "*"


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic …` header, or None for anything else."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    return (username, password) if separator else None


def count_request(access: Access, *, day: int, account_ids: Sequence[str]) -> int:
    """Count one authenticated request in its quota scopes and answer the highest count of the day.

    All-account requests share one scope; a request for given accounts counts once in each account's own
    scope (spec §8: "a separate one per single-account request")."""
    scopes = sorted(set(account_ids)) or [ALL_ACCOUNTS_SCOPE]
    for scope in scopes:
        access.requests_by_day[(day, scope)] = access.requests_by_day.get((day, scope), 0) + 1
    return max(access.requests_by_day[(day, scope)] for scope in scopes)


def requests_in_scope(access: Access, *, day: int, account_id: str | None) -> int:
    return access.requests_by_day.get((day, account_id or ALL_ACCOUNTS_SCOPE), 0)
