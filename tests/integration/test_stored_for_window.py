"""What a window is reconciled against, read on both dialects: every live pending transaction of the link
and every live one dated in reach of the window, exactly as stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import Database
from gateway.developers.service import developer_service
from gateway.end_users.service import get_or_create_end_user
from gateway.links.imports import ImportedAccount, import_institution, import_link
from gateway.models import Transaction
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.transactions.reconcile import StoredTransaction
from gateway.transactions.repository import ChangeCounts, transaction_repository
from providers.base import NormalizedTransaction

SINCE = dt.date(2026, 11, 1)
AT = dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)


def spent(provider_id: str, date: dt.date, *, pending: bool = False, account: str = "acc-1"):
    return NormalizedTransaction(
        provider_transaction_id=provider_id, provider_account_id=account, amount=Decimal("12.34"),
        direction="debit", currency="USD", date=date, description=f"Shop {provider_id}", pending=pending,
        datetime=AT, original_description="SHOP", merchant_name="Shop", categories=("food", "coffee"),
        pending_transaction_id="p-0" if provider_id == "recent" else None,
    )  # fmt: skip


async def new_link(session: AsyncSession) -> tuple[uuid.UUID, uuid.UUID, dict[str, uuid.UUID]]:
    """An imported link with accounts acc-1 and acc-2 and no transactions: (app, link, account ids)."""
    accounts = [
        ImportedAccount(
            account_id=a,
            name=a,
            type="depository.checking",
            mask=None,
            currency="USD",
            available=None,
            current=None,
            limit=None,
            balance_date=None,
        )  # fmt: skip
        for a in ("acc-1", "acc-2")
    ]
    app = await developer_service.bootstrap(session, email="w@example.com", master_key="w" * 48)
    user = await get_or_create_end_user(session, app.app_id, "window-user")
    institution = await import_institution(session, "window_bank")
    link = await import_link(
        session, app_id=app.app_id, end_user_id=user.id, institution=institution, accounts=accounts,
        transactions=[],
    )  # fmt: skip
    return app.app_id, link.id, await product_repository.account_ids(session, app.app_id, link.id)


async def held_for_window(database_url: str) -> list[StoredTransaction]:
    database = Database.from_settings(Settings(database_url=database_url, secret_key="w" * 48))
    try:
        async with database.unit_of_work() as session:
            app_id, link_id, ids = await new_link(session)
            before = SINCE - dt.timedelta(days=40)
            await transaction_repository.apply(
                session, app_id=app_id, link_id=link_id, account_ids=ids,
                upserted=[
                    spent("old-posted", before), spent("old-pending", before, pending=True, account="acc-2"),
                    spent("recent", SINCE), spent("recent-removed", SINCE, pending=True),
                ],
            )  # fmt: skip
            await transaction_repository.apply(
                session, app_id=app_id, link_id=link_id, account_ids=ids, upserted=[],
                removed=["recent-removed"],
            )  # fmt: skip
        async with database.unit_of_work() as session:
            held = await transaction_repository.stored_for_window(session, app_id, link_id, since=SINCE)
    finally:
        await database.dispose()
    return sorted(held, key=lambda row: row.provider_transaction_id)


def test_pending_ones_of_any_date_and_live_ones_in_reach(database_url: str) -> None:
    held = asyncio.run(held_for_window(database_url))
    assert [row.provider_transaction_id for row in held] == ["old-pending", "recent"]
    assert held[1] == StoredTransaction(
        provider_transaction_id="recent", provider_account_id="acc-1", amount=Decimal("12.34"),
        direction="debit", currency="USD", date=SINCE, description="Shop recent", pending=False, datetime=AT,
        original_description="SHOP", merchant_name="Shop", categories=("food", "coffee"),
        pending_transaction_id="p-0",
    )  # fmt: skip
    assert held[0].provider_account_id == "acc-2"


# (change_seq, change_kind, created_seq, posted_seq, pending, removed) by provider id.
LogState = dict[str, tuple[int, str, int, int | None, bool, bool]]


async def log_state(session: AsyncSession, link_id: uuid.UUID) -> LogState:
    statement = select(
        Transaction.provider_transaction_id, Transaction.change_seq, Transaction.change_kind,
        Transaction.created_seq, Transaction.posted_seq, Transaction.pending, Transaction.removed_at,
    ).where(Transaction.link_id == link_id)  # fmt: skip
    return {
        provider_id: (change_seq, kind, created_seq, posted_seq, pending, removed_at is not None)
        for provider_id, change_seq, kind, created_seq, posted_seq, pending, removed_at in (
            await session.execute(statement)
        )
    }


async def change_log_writes(database_url: str) -> tuple[list[ChangeCounts], list[LogState]]:
    """Three refreshes of one link (a, b, c new, a pending; then a posted, b unchanged, c removed, d new;
    then c back), with the counts of each and what the rows say after each."""
    refreshes: list[tuple[list[NormalizedTransaction], list[str]]] = [
        ([spent("a", SINCE, pending=True), spent("b", SINCE), spent("c", SINCE)], []),
        ([spent("a", SINCE), spent("b", SINCE), spent("d", SINCE)], ["c"]),
        ([spent("c", SINCE)], []),
    ]
    database = Database.from_settings(Settings(database_url=database_url, secret_key="w" * 48))
    counts, states = [], []
    try:
        async with database.unit_of_work() as session:
            app_id, link_id, ids = await new_link(session)
        for upserted, removed in refreshes:
            async with database.unit_of_work() as session:
                counted = await transaction_repository.apply(
                    session, app_id=app_id, link_id=link_id, account_ids=ids, upserted=upserted,
                    removed=removed,
                )  # fmt: skip
                counts.append(counted)
            async with database.unit_of_work() as session:
                states.append(await log_state(session, link_id))
    finally:
        await database.dispose()
    return counts, states


def test_changes_and_removals_take_the_next_sequence_numbers(database_url: str) -> None:
    counts, states = asyncio.run(change_log_writes(database_url))
    assert [(c.created, c.updated, c.removed) for c in counts] == [(3, 0, 0), (1, 1, 1), (0, 1, 0)]
    assert [pending for _, pending in counts[1].removed_rows] == [False]
    assert states[1] == {
        "a": (4, "updated", 1, 4, False, False),  # posted by the write that took number 4
        "b": (2, "created", 2, None, False, False),  # unchanged: no number taken
        "c": (6, "removed", 3, None, False, True),
        "d": (5, "created", 5, None, False, False),
    }
    assert states[2]["c"] == (7, "updated", 3, None, False, False)  # back, no longer removed
