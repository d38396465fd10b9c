"""Plaid's view of the change log: which changes a reader at a cursor sees as added, modified or removed.

A reader at position P has seen every write numbered ≤ P. A row created after P is new to it; a row
that posted after P was pending when it last looked, so Plaid reports the pending transaction removed
and the posted one added; a removed row it never saw is not reported at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.transactions.repository import TransactionRow
from providers.plaid import render


@dataclass
class SyncPage:
    added: list[TransactionRow] = field(default_factory=list)
    modified: list[TransactionRow] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False

    @classmethod
    def empty(cls, cursor: str | None) -> SyncPage:
        """Nothing to report yet: the caller's cursor (or `""` before any data) comes back unchanged."""
        return cls(next_cursor=cursor if cursor and cursor != "now" else "")


def classify_changes(rows: Sequence[TransactionRow], position: int) -> SyncPage:
    """`rows` are the changes after `position`, oldest first."""
    page = SyncPage()
    for row in rows:
        posted_since = row.posted_seq is not None and row.posted_seq > position
        if row.change_kind == "removed":
            if row.created_seq <= position:
                page.removed.append(render.removed(row, seen_pending=row.pending or posted_since))
        elif row.created_seq > position:
            page.added.append(row)
        elif posted_since:
            page.removed.append(render.removed(row, seen_pending=True))
            page.added.append(row)
        else:
            page.modified.append(row)
    return page
