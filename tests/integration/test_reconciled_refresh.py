"""Refreshes from an upstream without a cursor: its windows are reconciled into the one change log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from gateway.links.refresh import _only_permitted, refresh_service
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.links.service import link_service
from gateway.models import Link, RefreshJob, Transaction, WebhookEvent
from providers.base import Fetched, NormalizedTransaction, ProviderState, TransactionsWindow
from providers.registry import ProviderRegistry
from providers.sandbox.adapter import SandboxProvider
from tests.integration.test_refresh import connect_link
from workers.durable import Succeeded, claim

TODAY = dt.date.today()
START = TODAY - dt.timedelta(days=30)


def spent(provider_id: str, amount: str, days_ago: int, description: str, *, pending: bool = False):
    return (provider_id, Decimal(amount), TODAY - dt.timedelta(days=days_ago), description, pending)


FIRST = [
    spent("rent-1", "1500.00", 10, "Rent"),
    spent("p-coffee-1", "4.50", 3, "BLUE BOTTLE COFFEE #0412", pending=True),
    spent("p-coffee-2", "4.50", 3, "BLUE BOTTLE COFFEE #0412", pending=True),
    spent("p-diner", "40.00", 2, "JOE'S DINER", pending=True),
    spent("p-parking", "12.00", 1, "CITY PARKING", pending=True),
]
SECOND = [
    spent("rent-1", "1500.00", 10, "Rent"),
    spent("coffee-1", "4.50", 2, "Blue Bottle Coffee"),  # p-coffee-1 posted under a new id
    spent("p-coffee-2", "4.50", 3, "BLUE BOTTLE COFFEE #0412", pending=True),  # still pending
    spent("diner", "48.00", 1, "Joe's Diner"),  # p-diner posted with a tip
    spent("p-books", "20.00", 0, "CITY LIGHTS BOOKS", pending=True),  # new; p-parking vanished
]


class WindowProvider(SandboxProvider):
    """The sandbox's accounts, and transactions as windows on its first account, set by the test."""

    def __init__(self) -> None:
        self.window: list[tuple[str, Decimal, dt.date, str, bool]] = FIRST
        self.reads = 0

    async def transactions(self, connection: ProviderState, since: str | None) -> TransactionsWindow:  # type: ignore[override]
        account = (await self.accounts(connection))[0].provider_account_id
        self.reads += 1
        transactions = tuple(
            NormalizedTransaction(
                provider_transaction_id=provider_id,
                provider_account_id=account,
                amount=amount,
                direction="debit",
                currency="USD",
                date=date,
                description=description,
                pending=pending,
            )  # fmt: skip
            for provider_id, amount, date, description, pending in self.window
        )
        return TransactionsWindow(START, None, (account,), transactions, next_cursor=f"read-{self.reads}")


async def refresh(database, settings, link: Link, redis_client, provider: WindowProvider) -> None:
    """Run the link's pending refresh job here (no worker), as a worker would."""
    redis_client.flushdb()
    async with database.unit_of_work() as session:
        job = (
            await session.execute(
                select(RefreshJob).where(RefreshJob.link_id == link.id, RefreshJob.status == "pending")
            )
        ).scalar_one()
        attempt = await claim(session, REFRESH_JOBS, job.id, lease_s=30)
    assert attempt is not None
    providers = ProviderRegistry({"sandbox": provider})
    assert isinstance(
        await refresh_service.attempt(database, settings, providers, job.id, attempt), Succeeded
    )


async def ask_for_refresh(database, link: Link) -> None:
    async with database.unit_of_work() as session:
        stored = await session.get(Link, link.id)
        assert stored is not None
        await link_service.request_refresh(session, stored, ["transactions"], trigger="manual")


async def change_log(database, link_id: uuid.UUID, after: int) -> list[tuple[str, str, bool, str | None]]:
    """(provider id, change, pending, pending_transaction_id) after `after`, in change-log order."""
    async with database.unit_of_work() as session:
        rows = await session.execute(
            select(
                Transaction.provider_transaction_id, Transaction.change_kind, Transaction.pending,
                Transaction.pending_transaction_id,
            )
            .where(Transaction.link_id == link_id, Transaction.change_seq > after)
            .order_by(Transaction.change_seq)
        )  # fmt: skip
        return [tuple(row) for row in rows]


async def transaction_events(database, link_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    async with database.unit_of_work() as session:
        rows = await session.execute(
            select(WebhookEvent.event_type, WebhookEvent.payload)
            .where(WebhookEvent.link_id == link_id, WebhookEvent.event_type.startswith("transactions."))
            .order_by(WebhookEvent.created_at)
        )
        return [(event_type, payload) for event_type, payload in rows]


async def sequence_and_cursor(database, link_id: uuid.UUID) -> tuple[int, str | None]:
    async with database.unit_of_work() as session:
        link = await session.get(Link, link_id)
        assert link is not None
        return link.transactions_seq, link.transactions_cursor


async def test_windows_become_created_updated_and_removed_in_the_change_log(
    database, settings, sandbox_app, monkeypatch, redis_client
) -> None:
    provider = WindowProvider()
    link = await connect_link(database, settings, sandbox_app.app_id)
    await refresh(database, settings, link, redis_client, provider)
    assert await change_log(database, link.id, 0) == [
        ("rent-1", "created", False, None),
        ("p-coffee-1", "created", True, None),
        ("p-coffee-2", "created", True, None),
        ("p-diner", "created", True, None),
        ("p-parking", "created", True, None),
    ]
    assert await sequence_and_cursor(database, link.id) == (5, "read-1")

    provider.window = SECOND
    await ask_for_refresh(database, link)
    await refresh(database, settings, link, redis_client, provider)
    assert await change_log(database, link.id, 5) == [
        ("coffee-1", "created", False, "p-coffee-1"),
        ("diner", "created", False, "p-diner"),
        ("p-books", "created", True, None),
        ("p-coffee-1", "removed", True, None),
        ("p-diner", "removed", True, None),
        ("p-parking", "removed", True, None),
    ]
    assert await sequence_and_cursor(database, link.id) == (11, "read-2")
    events = await transaction_events(database, link.id)
    assert ("transactions.updates_available", {"created": 3, "updated": 0, "removed": 3}) in events
    removed = [payload for event_type, payload in events if event_type == "transactions.removed"]
    assert len(removed) == 1
    assert [r["pending"] for r in removed[0]["transactions"]] == [True, True, True]

    # The same window again: nothing changed, so nothing is logged and no event says otherwise.
    await ask_for_refresh(database, link)
    await refresh(database, settings, link, redis_client, provider)
    assert await sequence_and_cursor(database, link.id) == (11, "read-3")
    assert await transaction_events(database, link.id) == events


@pytest.mark.parametrize("permitted", [["acc-2"], ["acc-1", "acc-2"]])
def test_only_permitted_accounts_of_a_window_are_reconciled(permitted: Sequence[str]) -> None:
    def one(provider_id: str, account: str) -> NormalizedTransaction:
        return NormalizedTransaction(provider_id, account, Decimal("1"), "debit", "USD", TODAY, "x", False)

    window = TransactionsWindow(START, None, ("acc-1", "acc-2"), (one("t1", "acc-1"), one("t2", "acc-2")))
    kept = _only_permitted(Fetched(accounts=[], transactions=window), permitted).transactions
    assert isinstance(kept, TransactionsWindow)
    assert kept.accounts == tuple(permitted)
    assert [t.provider_account_id for t in kept.transactions] == list(permitted)
