"""Recurring streams found in a link's transactions: the same merchant (or description) on the same
account, in the same direction, at a regular cadence. Pure: collections render what this returns.

A stream needs `MIN_OCCURRENCES` posted transactions whose gaps all stay within `TOLERANCE` of one
cadence (weekly, every two weeks, twice a month, monthly, yearly). It is active until it misses two
expected dates in a row.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from gateway.transactions.records import TransactionRecord

MIN_OCCURRENCES = 3
MATURE_OCCURRENCES = 4
# (frequency, typical gap in days, how far one gap may stray from it)
CADENCES = (("WEEKLY", 7, 1), ("BIWEEKLY", 14, 2), ("SEMI_MONTHLY", 15, 3), ("MONTHLY", 30, 4),
            ("ANNUALLY", 365, 10))  # fmt: skip
CENT = Decimal("0.01")
_NOT_WORDS = re.compile(r"[^a-z]+")
_STREAM_NAMESPACE = uuid.UUID("5d0f2a52-8f7e-4a55-b0a4-1f0c3e7b9a61")


@dataclass(frozen=True)
class RecurringStream:
    id: uuid.UUID  # the same stream has the same id on every read
    account_id: uuid.UUID
    direction: str  # credit (inflow) or debit (outflow)
    description: str
    merchant_name: str | None
    categories: tuple[str, ...]
    frequency: str
    transactions: tuple[TransactionRecord, ...]  # oldest first
    average_amount: Decimal
    last_amount: Decimal
    currency: str
    predicted_next_date: dt.date | None
    is_active: bool
    is_mature: bool

    @property
    def first_date(self) -> dt.date:
        return self.transactions[0].date

    @property
    def last_date(self) -> dt.date:
        return self.transactions[-1].date


def stream_key(row: TransactionRecord) -> tuple[uuid.UUID, str, str]:
    """What makes two transactions the same stream: account, direction and merchant (or description,
    letters only, any case: `NETFLIX.COM 1234` and `Netflix.com 5678` are one)."""
    name = _NOT_WORDS.sub(" ", (row.merchant_name or row.description).lower()).strip()
    return row.account_id, row.direction, name


def recurring_streams(rows: Iterable[TransactionRecord], today: dt.date) -> list[RecurringStream]:
    """The recurring streams among posted `rows`, in the order of their first transaction."""
    groups: dict[tuple[uuid.UUID, str, str], list[TransactionRecord]] = defaultdict(list)
    for row in rows:
        if not row.pending:
            groups[stream_key(row)].append(row)
    streams = [
        _stream(key, sorted(group, key=lambda r: (r.date, r.id)), today) for key, group in groups.items()
    ]
    found = [stream for stream in streams if stream is not None]
    return sorted(found, key=lambda stream: (stream.first_date, stream.description))


def _stream(
    key: tuple[uuid.UUID, str, str], rows: list[TransactionRecord], today: dt.date
) -> RecurringStream | None:
    if len(rows) < MIN_OCCURRENCES:
        return None
    gaps = [(later.date - earlier.date).days for earlier, later in zip(rows, rows[1:], strict=False)]
    cadence = next((c for c in CADENCES if all(abs(gap - c[1]) <= c[2] for gap in gaps)), None)
    if cadence is None:
        return None
    every = round(statistics.median(gaps))
    expected = rows[-1].date + dt.timedelta(days=every)
    is_active = today <= expected + dt.timedelta(days=every)  # at most one expected date missed
    amounts = [row.amount for row in rows]
    return RecurringStream(
        id=uuid.uuid5(_STREAM_NAMESPACE, ":".join(map(str, key))), account_id=rows[0].account_id,
        direction=rows[0].direction, description=rows[-1].description,
        merchant_name=rows[-1].merchant_name, categories=tuple(rows[-1].categories or ()),
        frequency=cadence[0], transactions=tuple(rows),
        average_amount=(sum(amounts, Decimal(0)) / len(amounts)).quantize(CENT), last_amount=amounts[-1],
        currency=rows[-1].currency, predicted_next_date=expected if is_active else None,
        is_active=is_active, is_mature=len(rows) >= MATURE_OCCURRENCES,
    )  # fmt: skip
