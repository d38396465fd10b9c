"""Transactions and the per-link change log.

Every insert, change or removal of a link's transaction takes the link's next sequence number
(`links.transactions_seq`, incremented under the link's row lock), so `change_seq > cursor ORDER BY
change_seq` is a complete, gap-free replay of what happened after `cursor`, whoever reads it.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    Table,
    Uuid,
    any_,
    bindparam,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import DialectRead, bulk_insert
from gateway.models.account import Account
from gateway.models.base import utcnow
from gateway.models.link import Link
from gateway.models.transaction import Transaction
from gateway.transactions import day_counts
from gateway.transactions.day_counts import DayCountChanges, live_total, total_statement
from gateway.transactions.reconcile import StoredTransaction
from gateway.transactions.records import (
    CHANGE_COLUMNS,
    LISTED_COLUMNS,
    RECORD_COLUMNS,
    RECORD_WIDTH,
    ListedTransaction,
    TransactionChange,
    TransactionRecord,
    change_from_row,
)
from gateway.transactions.windows import (
    WindowColumns,
    WindowShape,
    window_conditions,
    window_parameters,
)
from providers.base import NormalizedTransaction

TRACKED_FIELDS = (
    "account_id", "amount", "direction", "currency", "description", "original_description", "merchant_name",
    "categories", "date", "datetime", "pending", "pending_transaction_id",
)  # fmt: skip
IN_CHUNK = 1000


@dataclass(frozen=True)
class ChangeCounts:
    created: int = 0
    updated: int = 0
    removed: int = 0
    # (row id, whether it was pending) of each removed transaction, for "transactions removed" events.
    removed_rows: tuple[tuple[uuid.UUID, bool], ...] = ()

    @property
    def total(self) -> int:
        return self.created + self.updated + self.removed


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _values(transaction: NormalizedTransaction, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "amount": transaction.amount,
        "direction": transaction.direction,
        "currency": transaction.currency,
        "description": transaction.description,
        "original_description": transaction.original_description,
        "merchant_name": transaction.merchant_name,
        "categories": list(transaction.categories),
        "date": transaction.date,
        "datetime": transaction.datetime,
        "pending": transaction.pending,
        "pending_transaction_id": transaction.pending_transaction_id,
    }


# About half of executemany's cost for an import of 4000 (bench/RESULTS.md).
COPY_THRESHOLD = 200


LAST_SEQ = 2**63 - 1  # BIGINT's largest: "up to" no bound


def _change_log_statement(*, one_account: bool) -> Select[Any]:
    """A link's changes after a sequence number and up to another, oldest first."""
    conditions = [
        Transaction.app_id == bindparam("app_id"),
        Transaction.link_id == bindparam("link_id"),
        Transaction.change_seq > bindparam("after_seq"),
        Transaction.change_seq <= bindparam("up_to"),
    ]
    if one_account:
        conditions.append(Transaction.account_id == bindparam("account_id"))
    return (
        select(*CHANGE_COLUMNS).where(*conditions).order_by(Transaction.change_seq).limit(bindparam("limit"))
    )


# Built once (with and without an account filter), like the page statements below.
CHANGE_LOGS = {one_account: DialectRead.of(_change_log_statement(one_account=one_account))
               for one_account in (False, True)}  # fmt: skip


# One statement: Postgres ORs the date range of ix_transactions_link_id_date_created_seq with the
# partial index of pending rows (ix_transactions_link_id_pending), never reading older posted history.
STORED_FOR_WINDOW = (
    select(
        Transaction.provider_transaction_id, Account.provider_account_id, Transaction.amount,
        Transaction.direction, Transaction.currency, Transaction.date, Transaction.description,
        Transaction.pending, Transaction.datetime, Transaction.original_description,
        Transaction.merchant_name, Transaction.categories, Transaction.pending_transaction_id,
    )
    .join(Account, Account.id == Transaction.account_id)
    .where(
        Transaction.app_id == bindparam("app_id"), Transaction.link_id == bindparam("link_id"),
        Transaction.change_kind != "removed",
        or_(Transaction.date >= bindparam("since"), Transaction.pending),
    )
)  # fmt: skip


TRANSACTIONS = cast(Table, Transaction.__table__)

# What `apply` compares a link's stored transactions with: columns, not ORM objects, since it writes
# them back through UPDATE_ROW.
EXISTING = select(
    Transaction.id, Transaction.provider_transaction_id, Transaction.change_kind, Transaction.posted_seq,
    *(getattr(Transaction, name) for name in TRACKED_FIELDS),
).where(
    Transaction.link_id == bindparam("link_id"),
    Transaction.provider_transaction_id.in_(bindparam("provider_ids", expanding=True)),
)  # fmt: skip

# One stored transaction rewritten (executemany; the SET columns are the parameters' other keys). It
# names the link as well as the id so Postgres reads one partition (migration 0018): the ORM's flush
# would name the id alone and probe all sixteen. `updated_at` takes its onupdate, as a flush did.
UPDATE_ROW = update(TRANSACTIONS).where(
    TRANSACTIONS.c.link_id == bindparam("row_link_id"), TRANSACTIONS.c.id == bindparam("row_id")
)

# A stored transaction takes a new provider id (executemany).
RENAME = (
    update(TRANSACTIONS)
    .where(TRANSACTIONS.c.app_id == bindparam("row_app_id"),
           TRANSACTIONS.c.link_id == bindparam("row_link_id"),
           TRANSACTIONS.c.provider_transaction_id == bindparam("stored_id"))
    .values(provider_transaction_id=bindparam("new_id"))
)  # fmt: skip


def _stored(row: Sequence[Any]) -> StoredTransaction:
    (provider_id, account, amount, direction, currency, date, description, pending, datetime,
     original_description, merchant_name, categories, pending_transaction_id) = row  # fmt: skip
    return StoredTransaction(
        provider_id, account, amount, direction, currency, date, description, pending, datetime,
        original_description, merchant_name, tuple(categories or ()), pending_transaction_id,
    )  # fmt: skip


class TransactionRepository:
    async def _allocate(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, count: int
    ) -> int:
        """Reserve `count` sequence numbers; the UPDATE holds the link's row lock until commit."""
        statement = (
            update(Link)
            .where(Link.app_id == app_id, Link.id == link_id)
            .values(transactions_seq=Link.transactions_seq + count)
            .returning(Link.transactions_seq)
        )
        last: int = (await session.execute(statement)).scalar_one()
        return last - count + 1

    async def _lock(self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID) -> None:
        """Take the link's row lock before reading what it holds: two writers of one link (a refresh and
        an import, two imports) then take turns, each seeing the other's rows and counts."""
        statement = select(Link.id).where(Link.app_id == app_id, Link.id == link_id).with_for_update()
        await session.execute(statement)

    async def _existing(
        self, session: AsyncSession, link_id: uuid.UUID, provider_ids: Sequence[str]
    ) -> dict[str, Row[Any]]:
        found: dict[str, Row[Any]] = {}
        for chunk in _chunks(provider_ids):
            rows = await session.execute(EXISTING, {"link_id": link_id, "provider_ids": chunk})
            found.update({row.provider_transaction_id: row for row in rows})
        return found

    async def apply(
        self,
        session: AsyncSession,
        *,
        app_id: uuid.UUID,
        link_id: uuid.UUID,
        account_ids: Mapping[str, uuid.UUID],
        upserted: Sequence[NormalizedTransaction],
        removed: Sequence[str] = (),
    ) -> ChangeCounts:
        """Record what a provider reported; unchanged transactions take no sequence number."""
        await self._lock(session, app_id, link_id)
        latest = {
            transaction.provider_transaction_id: transaction for transaction in upserted
        }  # last one wins
        existing = await self._existing(session, link_id, [*latest, *removed])
        changes: list[tuple[Row[Any] | None, dict[str, Any]]] = []  # in the provider's order
        for provider_id, transaction in latest.items():
            account_id = account_ids.get(transaction.provider_account_id)
            if account_id is None:
                raise ValueError(
                    f"transaction {provider_id} names unknown account {transaction.provider_account_id}"
                )
            values = _values(transaction, account_id)
            row = existing.get(provider_id)
            if row is None:
                changes.append((None, {"provider_transaction_id": provider_id, **values}))
            elif row.change_kind == "removed" or any(
                getattr(row, name) != values[name] for name in TRACKED_FIELDS
            ):
                changes.append((row, values))
        removals = [existing[p] for p in removed if p in existing and existing[p].change_kind != "removed"]
        created = sum(1 for row, _ in changes if row is None)
        counts = ChangeCounts(created, len(changes) - created, len(removals),
                              tuple((row.id, row.pending) for row in removals))  # fmt: skip
        if counts.total == 0:
            return counts
        first = await self._allocate(session, app_id, link_id, counts.total)
        await self._write(session, app_id, link_id, first, changes, removals)
        return counts

    async def _write(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_id: uuid.UUID,
        first: int,
        changes: Sequence[tuple[Row[Any] | None, dict[str, Any]]],
        removals: Sequence[Row[Any]],
    ) -> None:
        """Insert the new transactions and rewrite the changed and removed ones, numbered from `first`
        in that order."""
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        days = DayCountChanges()
        now_at: dict[uuid.UUID, tuple[uuid.UUID, dt.date]] = {}  # where updated rows now sit
        for sequence, (row, values) in enumerate(changes, start=first):
            days.arrive(values["account_id"], values["date"])
            if row is None:
                inserts.append(
                    {"id": uuid.uuid4(), "app_id": app_id, "link_id": link_id, "created_seq": sequence,
                     "change_seq": sequence, "change_kind": "created", "created_at": now, "updated_at": now,
                     **values}
                )  # fmt: skip
                continue
            if row.change_kind != "removed":
                days.leave(row.account_id, row.date)
            now_at[row.id] = (values["account_id"], values["date"])
            posted_seq = sequence if row.pending and not values["pending"] else row.posted_seq
            updates.append(
                {"row_link_id": link_id, "row_id": row.id, **values, "posted_seq": posted_seq,
                 "change_seq": sequence, "change_kind": "updated", "removed_at": None}
            )  # fmt: skip
        for row in removals:  # a row updated and removed in one delta leaves from where the update put it
            days.leave(*now_at.get(row.id, (row.account_id, row.date)))
        removes = [
            {"row_link_id": link_id, "row_id": row.id, "change_seq": sequence, "change_kind": "removed",
             "removed_at": now}
            for sequence, row in enumerate(removals, start=first + len(changes))
        ]  # fmt: skip
        if inserts:
            await bulk_insert(session, TRANSACTIONS, inserts, copy_threshold=COPY_THRESHOLD)
        connection = await session.connection()
        for parameters in (updates, removes):
            if parameters:
                await connection.execute(UPDATE_ROW, parameters)
        await day_counts.record(session, app_id, link_id, days)

    async def rename(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, renamed: Mapping[str, str]
    ) -> None:
        """Stored transactions take new provider ids (`renamed`: new id → stored id), nothing else changes:
        no format shows a provider's id, so the change log records nothing."""
        if not renamed:
            return
        connection = await session.connection()
        await connection.execute(
            RENAME,
            [{"row_app_id": app_id, "row_link_id": link_id, "stored_id": stored, "new_id": new}
             for new, stored in renamed.items()],
        )  # fmt: skip

    async def stored_for_window(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, *, since: dt.date
    ) -> list[StoredTransaction]:
        """The link's live transactions a window reaching back to `since` can concern: every pending
        one, whatever its date, and every one dated on or after `since` (see reconcile.py)."""
        connection = await session.connection()  # Core, not the ORM: a window may hold thousands
        rows = await connection.execute(
            STORED_FOR_WINDOW, {"app_id": app_id, "link_id": link_id, "since": since}
        )
        return [_stored(row) for row in rows]

    async def changes_since(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_id: uuid.UUID,
        after_seq: int,
        limit: int,
        *,
        up_to: int | None = None,
        account_id: uuid.UUID | None = None,
    ) -> list[TransactionChange]:
        """The change log after `after_seq` (and up to `up_to`), oldest change first (a sync page may be
        500 rows: tuples, not ORM objects)."""
        parameters = {
            "app_id": app_id, "link_id": link_id, "after_seq": after_seq, "limit": limit,
            "up_to": LAST_SEQ if up_to is None else up_to, "account_id": account_id,
        }  # fmt: skip
        rows = await CHANGE_LOGS[account_id is not None].rows(session, parameters)
        return [change_from_row(row) for row in rows]


transaction_repository = TransactionRepository()


LISTED = WindowColumns(Transaction.app_id, Transaction.link_id, Transaction.account_id, Transaction.date)
# Newest first, ties in insertion order (unique in a link), then by link.
PAGE_ORDER = (Transaction.date.desc(), Transaction.created_seq.desc(), Transaction.link_id)


def _window_page(
    columns: Sequence[Any], shape: WindowShape, *, postgres: bool, extra: Sequence[Any] = ()
) -> Select[Any]:
    """A page of a window's live transactions in `PAGE_ORDER`, as `columns` (then `extra`)."""
    return (
        select(*columns, *extra)
        .where(*window_conditions(LISTED, shape, postgres=postgres), Transaction.change_kind != "removed")
        .order_by(*PAGE_ORDER)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


MERGED_LINKS_AT_MOST = 32  # beyond this many links a page sorts their windows (one statement for any number)


def _merged_page(
    columns: Sequence[Any], links: int, *, some_accounts: bool, extra: Sequence[Any] = ()
) -> Select[Any]:
    """A page over `links` links on Postgres: each link's first `offset + limit` rows by a walk down its
    own index (`link_0` ... parameters, so each part reads one partition), merged. One statement over
    every link reads and sorts all their windows, as no index gives the order across links: 30 ms a page
    for a user with ten links and 55,000 transactions."""
    offset, limit = bindparam("offset", type_=BigInteger), bindparam("limit", type_=BigInteger)
    parts = []
    for number in range(links):
        conditions = [
            Transaction.app_id == bindparam("app_id"), Transaction.link_id == bindparam(f"link_{number}"),
            Transaction.date >= bindparam("start"), Transaction.date <= bindparam("end"),
            Transaction.change_kind != "removed",
        ]  # fmt: skip
        if some_accounts:
            conditions.append(Transaction.account_id == any_(bindparam("account_ids", type_=ARRAY(Uuid()))))
        parts.append(
            select(
                *columns,
                Transaction.date.label("page_date"),
                Transaction.created_seq.label("page_seq"),
                Transaction.link_id.label("page_link"),
            )  # fmt: skip
            .where(*conditions)
            .order_by(Transaction.date.desc(), Transaction.created_seq.desc())
            .limit(offset + limit)
        )
    first = union_all(*parts).subquery("first_of_links")
    return (
        select(*(first.c[column.key] for column in columns), *extra)
        .order_by(first.c.page_date.desc(), first.c.page_seq.desc(), first.c.page_link)
        .offset(offset)
        .limit(limit)
    )


def counted_page(shape: WindowShape, *, postgres: bool, links: int = 0) -> Select[Any]:
    """The page of live transactions of a window, each row carrying the window's total: one round trip
    for both (the database reads the total once)."""
    total = total_statement(shape, postgres=postgres).scalar_subquery()
    if links:
        return _merged_page(RECORD_COLUMNS, links, some_accounts=shape.some_accounts, extra=[total])
    return _window_page(RECORD_COLUMNS, shape, postgres=postgres, extra=[total])


def listing(shape: WindowShape, *, postgres: bool, links: int = 0) -> Select[Any]:
    """A filtered listing's page when it narrows by window and accounts only (Yodlee's usual call)."""
    if links:
        return _merged_page(LISTED_COLUMNS, links, some_accounts=shape.some_accounts)
    return _window_page(LISTED_COLUMNS, shape, postgres=postgres)


Build = Callable[..., Select[Any]]


@functools.cache
def _read_of(build: Build, shape: WindowShape, merged_links: int) -> DialectRead:
    """`build`'s statement for a window: on Postgres merged over `merged_links` links, or as one
    statement when that is 0; built once per (shape, number of merged links)."""
    return DialectRead.of(build(shape, postgres=False), build(shape, postgres=True, links=merged_links))


def window_read(build: Build, shape: WindowShape, parameters: dict[str, Any]) -> DialectRead:
    """The read of `build` (`counted_page`, `listing`) for this window, its parameters completed with
    one per link."""
    links = parameters.get("link_ids", [])
    if shape.one_link or len(links) > MERGED_LINKS_AT_MOST:
        return _read_of(build, shape, 0)
    parameters.update({f"link_{number}": link_id for number, link_id in enumerate(links)})
    return _read_of(build, shape, len(links))


@dataclass(frozen=True)
class TransactionSearch:
    """What a filtered listing narrows by: live transactions of `link_ids` dated `start` to `end`, of
    `account_ids` (None: every account), in one `direction`, with `keyword` in a description or the
    merchant name (case-insensitive, taken literally)."""

    link_ids: Sequence[uuid.UUID]
    start: dt.date
    end: dt.date
    account_ids: Sequence[uuid.UUID] | None = None
    direction: str | None = None
    keyword: str | None = None


def _like_literal(keyword: str) -> str:
    escaped = keyword.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_statement(app_id: uuid.UUID, search: TransactionSearch) -> Select[Any]:
    statement = select(*LISTED_COLUMNS).where(
        Transaction.app_id == app_id, Transaction.link_id.in_(list(search.link_ids)),
        Transaction.change_kind != "removed",
        Transaction.date >= search.start, Transaction.date <= search.end,
    )  # fmt: skip
    if search.account_ids is not None:
        statement = statement.where(Transaction.account_id.in_(list(search.account_ids)))
    if search.direction is not None:
        statement = statement.where(Transaction.direction == search.direction)
    if search.keyword:
        pattern = _like_literal(search.keyword)
        statement = statement.where(
            or_(func.lower(Transaction.description).like(pattern, escape="\\"),
                func.lower(Transaction.original_description).like(pattern, escape="\\"),
                func.lower(Transaction.merchant_name).like(pattern, escape="\\"))
        )  # fmt: skip
    return statement


class TransactionReader:
    """Reads of live transactions for the request paths; no method writes.

    The links handed in come from `gateway.links.readable` (the caller's token decides them); the app
    condition stays in every statement as a second fence."""

    async def page(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_ids: Sequence[uuid.UUID],
        *,
        start: dt.date,
        end: dt.date,
        offset: int,
        limit: int,
        account_ids: Sequence[uuid.UUID] | None = None,
    ) -> tuple[list[TransactionRecord], int]:
        """Live (not removed) transactions of the links between two dates, newest first, and their count
        (summed from `day_counts`, never counted row by row).

        Records, not ORM objects: this is the hottest read, and hydrating objects costs more than
        the query (ARCHITECTURE.md, measured costs)."""
        shape, parameters = window_parameters(app_id, link_ids, start, end, account_ids)
        read = window_read(counted_page, shape, parameters)
        rows = await read.rows(session, parameters | {"offset": offset, "limit": limit})
        if not rows:  # past the last page: the total still counts
            return [], await live_total(
                session, app_id, link_ids, start=start, end=end, account_ids=account_ids
            )
        return [TransactionRecord._make(tuple(row)[:RECORD_WIDTH]) for row in rows], int(
            rows[0][RECORD_WIDTH]
        )

    async def one(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_ids: Sequence[uuid.UUID],
        transaction_id: uuid.UUID,
    ) -> TransactionRecord | None:
        """One live transaction of the links by id; None when it is unknown, removed or another link's."""
        statement = select(*RECORD_COLUMNS).where(
            Transaction.app_id == app_id, Transaction.link_id.in_(list(link_ids)),
            Transaction.id == transaction_id, Transaction.change_kind != "removed",
        )  # fmt: skip
        row = (await session.execute(statement)).first()
        return TransactionRecord._make(row) if row is not None else None

    async def search(
        self, session: AsyncSession, app_id: uuid.UUID, search: TransactionSearch, *, offset: int, limit: int
    ) -> list[ListedTransaction]:
        """A page of the matching transactions, newest first; ties by insertion order (`created_seq`,
        which an update does not move, unique in a link) and link, so offset pages neither repeat nor
        skip a row, and one link's page is a walk down its (date, created_seq) index."""
        if not search.link_ids:
            return []
        if search.direction is None and not search.keyword:  # a plain window: built once, on the driver
            shape, parameters = window_parameters(app_id, search.link_ids, search.start, search.end,
                                                  search.account_ids)  # fmt: skip
            read = window_read(listing, shape, parameters)
            rows = await read.rows(session, parameters | {"offset": offset, "limit": limit})
            return list(map(ListedTransaction._make, rows))
        statement = _search_statement(app_id, search).order_by(*PAGE_ORDER).offset(offset).limit(limit)
        connection = await session.connection()
        return list(map(ListedTransaction._make, await connection.execute(statement)))

    async def changed_between(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_ids: Sequence[uuid.UUID],
        start: dt.datetime,
        end: dt.datetime,
        *,
        limit: int,
    ) -> tuple[list[ListedTransaction], int]:
        """Transactions of the links written between `start` and `end` (removed ones included), each
        link's oldest change first, and how many there are in all."""
        if not link_ids:
            return [], 0
        statement = select(*LISTED_COLUMNS).where(
            Transaction.app_id == app_id,
            Transaction.link_id.in_(list(link_ids)),
            Transaction.updated_at.between(start, end),
        )
        total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
        page = statement.order_by(Transaction.link_id, Transaction.change_seq).limit(limit)
        connection = await session.connection()
        return list(map(ListedTransaction._make, await connection.execute(page))), int(total)

    async def count_matching(
        self, session: AsyncSession, app_id: uuid.UUID, search: TransactionSearch
    ) -> int:
        """How many transactions `search` pages through: summed from `day_counts` unless it narrows by
        direction or keyword, which only the rows know."""
        if not search.link_ids:
            return 0
        if search.direction is None and not search.keyword:
            return await live_total(session, app_id, search.link_ids, start=search.start, end=search.end,
                                    account_ids=search.account_ids)  # fmt: skip
        counted = select(func.count()).select_from(_search_statement(app_id, search).subquery())
        return int((await session.execute(counted)).scalar_one())


transaction_reader = TransactionReader()
