"""Exact counts of each link's live transactions, per account and day.

Every format's page of transactions carries a total (Plaid's `total_transactions`, MoneyKit's and MX's
pagination). Counting a 50,000-transaction link's rows on each request cost ten times reading the page
itself (bench/RESULTS.md, "Reads at scale"); summing the days of the window here reads one small row a
day instead.

The counts change only in `TransactionRepository.apply`, in the transaction that writes the change log
and under the link's row lock, so concurrent refreshes and imports of one link take turns and every
commit moves rows and counts together. Removing a link's data deletes its counts with it
(`erase_link_data`), and deleting a link or an account cascades to them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import conflict_insert
from gateway.models.transaction import TransactionDayCount
from gateway.transactions.windows import WindowColumns, reads_by_shape, window_parameters

Day = tuple[uuid.UUID, dt.date]  # (account id, date)


class DayCountChanges:
    """How a write moves a link's live transactions between (account, day) cells."""

    def __init__(self) -> None:
        self._deltas: Counter[Day] = Counter()

    def arrive(self, account_id: uuid.UUID, date: dt.date) -> None:
        """A live transaction now sits in this cell: inserted, restored, or moved here."""
        self._deltas[(account_id, date)] += 1

    def leave(self, account_id: uuid.UUID, date: dt.date) -> None:
        """A live transaction no longer sits in this cell: removed, or moved away."""
        self._deltas[(account_id, date)] -= 1

    def rows(self, app_id: uuid.UUID, link_id: uuid.UUID) -> list[dict[str, Any]]:
        """The non-zero changes in key order (the order every writer locks count rows in)."""
        return [
            {"app_id": app_id, "link_id": link_id, "date": date, "account_id": account_id, "live": delta}
            for (account_id, date), delta in sorted(self._deltas.items(), key=_day_first)
            if delta
        ]


def _day_first(item: tuple[Day, int]) -> tuple[dt.date, uuid.UUID]:
    (account_id, date), _ = item
    return date, account_id


async def record(
    session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, changes: DayCountChanges
) -> None:
    """Add the changes to the stored counts; the caller holds the link's row lock."""
    rows = changes.rows(app_id, link_id)
    if not rows:
        return
    insert = await conflict_insert(session, TransactionDayCount)
    statement = insert.on_conflict_do_update(
        index_elements=["link_id", "date", "account_id"],
        set_={"live": TransactionDayCount.live + insert.excluded.live},
    )
    await session.execute(statement, rows)


def _total(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    return select(func.coalesce(func.sum(TransactionDayCount.live), literal_column("0"))).where(*conditions)


COUNTED = WindowColumns(
    TransactionDayCount.app_id, TransactionDayCount.link_id, TransactionDayCount.account_id,
    TransactionDayCount.date,
)  # fmt: skip
# Built once per window shape, like the pages they total.
TOTALS = reads_by_shape(COUNTED, _total)


async def live_total(
    session: AsyncSession,
    app_id: uuid.UUID,
    link_ids: Sequence[uuid.UUID],
    *,
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """How many live transactions the links (those accounts, if given) hold dated `start` to `end`."""
    if not link_ids:
        return 0
    shape, parameters = window_parameters(app_id, link_ids, start, end, account_ids)
    rows = await TOTALS[shape].rows(session, parameters)
    return int(rows[0][0])
