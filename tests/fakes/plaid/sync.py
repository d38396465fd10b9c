"""The `/transactions/sync` engine: compaction of an Item's change log into pages, and opaque cursors.

A cursor names a log position. A final cursor (`has_more` false) is `{p}`; a continuation cursor is
`{p, l, o, g}`: the loop started at position `p`, pages the net changes of `log[p:l]`, is `o` entries in,
and was made on the Item's generation `g`. Any change of the data bumps the generation, so a continuation
made before it answers TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION (plaid-upstream.md §6).
Per-account streams (`options.account_id`) carry `a`; a cursor of another stream is refused.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from tests.fakes.plaid.errors import PlaidFailure
from tests.fakes.plaid.models import Change, ChangeKind, Item

MAX_CURSOR_CHARS = 256


@dataclass(frozen=True)
class Cursor:
    start: int
    end: int | None = None
    offset: int = 0
    generation: int | None = None
    account_id: str | None = None

    @property
    def continues(self) -> bool:
        return self.end is not None

    def encode(self) -> str:
        fields: dict[str, object] = {"p": self.start}
        if self.end is not None:
            fields.update({"l": self.end, "o": self.offset, "g": self.generation})
        if self.account_id is not None:
            fields["a"] = self.account_id
        text = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode()
        if len(text) > MAX_CURSOR_CHARS:
            raise AssertionError("a cursor of the fake Plaid grew past 256 characters")
        return text


def decode_cursor(text: str) -> Cursor:
    """The cursor a client sent back; anything the fake did not mint is an INVALID_FIELD."""
    try:
        fields = json.loads(base64.urlsafe_b64decode(text.encode()))
        cursor = Cursor(
            start=int(fields["p"]),
            end=int(fields["l"]) if "l" in fields else None,
            offset=int(fields.get("o", 0)),
            generation=int(fields["g"]) if "g" in fields else None,
            account_id=str(fields["a"]) if "a" in fields else None,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise PlaidFailure("INVALID_FIELD", "cursor is not a valid cursor") from error
    if cursor.start < 0 or cursor.offset < 0:
        raise PlaidFailure("INVALID_FIELD", "cursor is not a valid cursor")
    return cursor


@dataclass(frozen=True)
class NetChange:
    kind: ChangeKind
    transaction_id: str
    account_id: str


@dataclass(frozen=True)
class Page:
    changes: tuple[NetChange, ...]
    next_cursor: Cursor
    has_more: bool


def net_changes(log: list[Change], start: int, end: int, account_id: str | None) -> list[NetChange]:
    """What changed between two log positions, one entry per transaction, in ascending order of its last
    change: added (new since `start`), modified (existed and still exists) or removed (existed, now gone);
    a transaction both added and removed in between is not mentioned."""
    first: dict[str, ChangeKind] = {}
    last: dict[str, tuple[int, Change]] = {}
    for position in range(start, min(end, len(log))):
        change = log[position]
        if account_id is not None and change.account_id != account_id:
            continue
        first.setdefault(change.transaction_id, change.kind)
        last[change.transaction_id] = (position, change)
    result: list[NetChange] = []
    for _, change in sorted(last.values(), key=lambda entry: entry[0]):
        existed = first[change.transaction_id] != "added"
        exists = change.kind != "removed"
        if existed and exists:
            result.append(NetChange("modified", change.transaction_id, change.account_id))
        elif exists:
            result.append(NetChange("added", change.transaction_id, change.account_id))
        elif existed:
            result.append(NetChange("removed", change.transaction_id, change.account_id))
    return result


class SyncEngine:
    """Pages of one Item's changes; the net changes of a loop are computed once and kept while the loop
    runs (so a 50,000-transaction history pages in linear time)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, int, int, str | None], list[NetChange]] = {}

    def page(self, item: Item, cursor_text: str | None, count: int, account_id: str | None) -> Page:
        if cursor_text == "now":
            return Page((), Cursor(len(item.log), account_id=account_id), False)
        cursor = decode_cursor(cursor_text) if cursor_text else Cursor(0, account_id=account_id)
        if cursor.account_id != account_id:
            raise PlaidFailure("INVALID_FIELD", "cursor belongs to another options.account_id stream")
        if cursor.continues:
            if cursor.generation != item.generation:
                raise PlaidFailure("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
            end = int(cursor.end or 0)
        else:
            end = len(item.log)
        if cursor.start > len(item.log) or end > len(item.log):
            raise PlaidFailure("INVALID_FIELD", "cursor is not a valid cursor")
        changes = self._net(item, cursor.start, end, account_id)
        chunk = changes[cursor.offset : cursor.offset + count]
        taken = cursor.offset + len(chunk)
        if taken < len(changes):
            following = Cursor(cursor.start, end, taken, item.generation, account_id)
            return Page(tuple(chunk), following, True)
        self._forget(item.item_id, cursor.start, end)
        return Page(tuple(chunk), Cursor(end, account_id=account_id), False)

    def _net(self, item: Item, start: int, end: int, account_id: str | None) -> list[NetChange]:
        key = (item.item_id, item.generation, start, end, account_id)
        if key not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = net_changes(item.log, start, end, account_id)
        return self._cache[key]

    def _forget(self, item_id: str, start: int, end: int) -> None:
        for key in [k for k in self._cache if k[0] == item_id and k[2] == start and k[3] == end]:
            del self._cache[key]
