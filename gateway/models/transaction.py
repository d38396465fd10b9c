"""Transactions: the per-link change log (created / updated / removed) lives on the rows themselves."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    FetchedValue,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, IdMixin, JSONType, Money, TenantMixin, TimestampMixin, UTCDateTime


class Transaction(IdMixin, TenantMixin, TimestampMixin, Base):
    """`amount` is non-negative; `direction` (credit/debit) carries the sign.

    `change_seq` is the link's sequence number at this row's last write and `change_kind` what that
    write was, so every sync view is `WHERE link_id = ? AND change_seq > cursor ORDER BY change_seq`;
    `created_seq` (the number at its insert) says whether a reader at `cursor` has seen it before, and
    `posted_seq` (the number of the write that posted it, if it was ever pending) whether that reader saw
    it pending: Plaid's sync shows a posting as the pending transaction removed and the posted one added.

    `number` is the int64 id Yodlee clients see, given by the database at insert (a sequence on
    Postgres, a trigger on SQLite: migration 0012) and never changed.

    On Postgres the table is hash-partitioned by `link_id` into 16 partitions (migration 0018), and its
    primary key there is (id, link_id), as Postgres requires of a partitioned table; `id` stays the key
    the ORM knows a row by, and SQLite's table is as before. Statements name the link (`=` or `IN`) so
    Postgres reads one partition.
    """

    __tablename__ = "transactions"
    # SQLite's RETURNING reports `number` as inserted (NULL, before its trigger runs): never trust it.
    __mapper_args__ = {"eager_defaults": False}
    __table_args__ = (
        UniqueConstraint("link_id", "provider_transaction_id"),
        Index("ix_transactions_link_id_change_seq", "link_id", "change_seq"),
        Index("ix_transactions_account_id_date", "account_id", "date"),
        # Pages of one link's transactions, newest first, ties in insertion order (which an update does
        # not move, so offset pages neither repeat nor skip a row): a backward index range scan.
        Index("ix_transactions_link_id_date_created_seq", "link_id", "date", "created_seq"),
        # A link's pending transactions, whatever their date: what a window is reconciled against.
        Index(
            "ix_transactions_link_id_pending",
            "link_id",
            "date",
            postgresql_where=text("pending"),
            sqlite_where=text("pending"),
        ),
    )

    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    provider_transaction_id: Mapped[str] = mapped_column(String(255), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False)
    original_description: Mapped[str | None] = mapped_column(String(500))
    merchant_name: Mapped[str | None] = mapped_column(String(255))
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    datetime: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pending: Mapped[bool] = mapped_column(default=False, nullable=False)
    pending_transaction_id: Mapped[str | None] = mapped_column(String(255))
    created_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    number: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())
    posted_seq: Mapped[int | None] = mapped_column(BigInteger)
    change_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    change_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TransactionDayCount(TenantMixin, Base):
    """How many live (not removed) transactions a link's account holds dated one day.

    Written in the same transaction as the change log, under the link's row lock
    (`gateway.transactions.day_counts`), so a page's total is a sum over the days of its window, exact,
    never a scan of the rows themselves."""

    __tablename__ = "transaction_day_counts"
    __table_args__ = (PrimaryKeyConstraint("link_id", "date", "account_id"),)

    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), nullable=False
    )
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    live: Mapped[int] = mapped_column(BigInteger, nullable=False)
