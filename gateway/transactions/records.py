"""Transactions as the read paths see them: plain typed tuples, not ORM objects.

A page of transactions is the hottest read; hydrating ORM objects, or even reading SQLAlchemy `Row`s by
attribute (a mapping lookup per field), costs more than rendering the page (bench/RESULTS.md). A
NamedTuple reads a field in a few tens of nanoseconds and still renders like a `Transaction`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from gateway.models.transaction import Transaction


class TransactionRecord(NamedTuple):
    """One transaction as every collection renders it."""

    id: uuid.UUID
    account_id: uuid.UUID
    amount: Decimal
    direction: str
    currency: str
    date: dt.date
    datetime: dt.datetime | None
    description: str
    original_description: str | None
    pending: bool
    categories: list[str]
    merchant_name: str | None
    posted_seq: int | None


class ListedTransaction(NamedTuple):
    """One transaction of a filtered listing (Yodlee's), with its link and when it was written."""

    id: uuid.UUID
    link_id: uuid.UUID
    account_id: uuid.UUID
    amount: Decimal
    direction: str
    currency: str
    date: dt.date
    description: str
    original_description: str | None
    merchant_name: str | None
    pending: bool
    categories: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    change_kind: str
    number: int  # Yodlee's id for it


class TransactionChange(NamedTuple):
    """One entry of a link's change log: the transaction as it is now and where its changes sit."""

    record: TransactionRecord
    created_seq: int
    change_seq: int
    change_kind: str


RECORD_COLUMNS = tuple(getattr(Transaction, name) for name in TransactionRecord._fields)
CHANGE_COLUMNS = (*RECORD_COLUMNS, Transaction.created_seq, Transaction.change_seq, Transaction.change_kind)
LISTED_COLUMNS = tuple(getattr(Transaction, name) for name in ListedTransaction._fields)
RECORD_WIDTH = len(RECORD_COLUMNS)


def change_from_row(row: Sequence[Any]) -> TransactionChange:
    """A change from a row of CHANGE_COLUMNS (a driver record or a Core row)."""
    values = tuple(row)  # slicing a tuple is cheaper than slicing either kind of row
    created_seq, change_seq, change_kind = values[RECORD_WIDTH:]
    return TransactionChange(
        TransactionRecord._make(values[:RECORD_WIDTH]), created_seq, change_seq, change_kind
    )
