"""The query of `GET /accounts` (spec §5), parsed the way the Bridge reads it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


class BadQuery(ValueError):
    """A parameter that is not what the spec says it is (answered 400; the spec names no code, §7)."""


@dataclass(frozen=True)
class AccountsQuery:
    start_date: int | None
    end_date: int | None
    include_pending: bool
    account_ids: tuple[str, ...]
    balances_only: bool
    version: Literal[1, 2] | None


def parse_accounts_query(items: Sequence[tuple[str, str]]) -> AccountsQuery:
    """Read repeated keys in order. `pending` is presence-checked: `pending=0` includes pendings too, as on
    the Bridge (spec §5 quirk); `balances-only` only counts as `1` (spec §5)."""
    keys = [key for key, _ in items]
    return AccountsQuery(
        start_date=_epoch(items, "start-date"),
        end_date=_epoch(items, "end-date"),
        include_pending="pending" in keys,
        account_ids=tuple(value for key, value in items if key == "account"),
        balances_only=_last(items, "balances-only") == "1",
        version=_version(_last(items, "version")),
    )


def _last(items: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in items if key == name]
    return values[-1] if values else None


def _epoch(items: Sequence[tuple[str, str]], name: str) -> int | None:
    value = _last(items, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as error:
        raise BadQuery(f"{name} must be a Unix epoch in seconds, got {value!r}") from error


def _version(value: str | None) -> Literal[1, 2] | None:
    if value == "1":
        return 1
    if value == "2":
        return 2
    return None
