"""Plaid's view of the change log: which changes a reader at a cursor sees as added, modified or removed.

A reader at position P has seen every write numbered ≤ P. A row created after P is new to it; a row
that posted after P was pending when it last looked, so Plaid reports the pending transaction removed
and the posted one added; a removed row it never saw is not reported at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from formats.plaid import render
from gateway.transactions.records import TransactionChange, TransactionRecord


@dataclass
class SyncPage:
    added: list[TransactionRecord] = field(default_factory=list)
    modified: list[TransactionRecord] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False

    @classmethod
    def empty(cls, cursor: str | None) -> SyncPage:
        """Nothing to report yet: the caller's cursor (or `""` before any data) comes back unchanged."""
        return cls(next_cursor=cursor if cursor and cursor != "now" else "")


def classify_changes(changes: Sequence[TransactionChange], position: int) -> SyncPage:
    """`changes` are those after `position`, oldest first."""
    page = SyncPage()
    for change in changes:
        row = change.record
        posted_since = row.posted_seq is not None and row.posted_seq > position
        if change.change_kind == "removed":
            if change.created_seq <= position:
                page.removed.append(render.removed(row, seen_pending=row.pending or posted_since))
        elif change.created_seq > position:
            page.added.append(row)
        elif posted_since:
            page.removed.append(render.removed(row, seen_pending=True))
            page.added.append(row)
        else:
            page.modified.append(row)
    return page
