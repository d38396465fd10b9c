"""Pages of transactions, on both dialects: newest first, a date's transactions newest inserted first,
and an update never moves a transaction (so offset pages neither repeat nor skip one while a refresh
writes); every reader of a window (pages, Yodlee's listing) agrees on that order."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from decimal import Decimal

from bench.import_links import new_import_link
from gateway.db import Database
from gateway.developers.service import developer_service
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.transactions.repository import TransactionSearch, transaction_reader, transaction_repository
from providers.base import NormalizedTransaction

DAY = dt.date(2026, 11, 20)


def spent(provider_id: str, date: dt.date) -> NormalizedTransaction:
    return NormalizedTransaction(
        provider_transaction_id=provider_id, provider_account_id="acc-1", amount=Decimal("5.00"),
        direction="debit", currency="USD", date=date, description=f"Shop {provider_id}", pending=False,
    )  # fmt: skip


async def orders(database_url: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """Descriptions in page order: as stored, after an update of the oldest, two pages of two and a
    page of one, and Yodlee's listing."""
    database = Database.from_settings(Settings(database_url=database_url, secret_key="p" * 48))
    try:
        async with database.unit_of_work() as session:
            app = await developer_service.bootstrap(session, email="p@example.com", master_key="p" * 48)
        link = await new_import_link(database, app.app_id, ["acc-1"])
        stored = [
            spent("t-1", DAY),
            spent("t-2", DAY),
            spent("t-3", DAY),
            spent("t-4", DAY - dt.timedelta(1)),
        ]
        for transactions in ([*stored[:2]], [*stored[2:]]):  # two refreshes: t-3 and t-4 come later
            async with database.unit_of_work() as session:
                ids = await product_repository.account_ids(session, app.app_id, link.id)
                await transaction_repository.apply(
                    session, app_id=app.app_id, link_id=link.id, account_ids=ids, upserted=transactions
                )

        async def page(offset: int, limit: int) -> list[str]:
            async with database.read_only() as session:
                rows, total = await transaction_reader.page(
                    session, app.app_id, [link.id], start=DAY - dt.timedelta(30), end=DAY, offset=offset,
                    limit=limit,
                )  # fmt: skip
            assert total == 4
            return [row.description for row in rows]

        before = await page(0, 10)
        async with database.unit_of_work() as session:
            ids = await product_repository.account_ids(session, app.app_id, link.id)
            await transaction_repository.apply(
                session, app_id=app.app_id, link_id=link.id, account_ids=ids,
                upserted=[replace(stored[0], description="Shop t-1, renamed")],
            )  # fmt: skip
        pages = [*await page(0, 2), *await page(2, 2)]
        async with database.read_only() as session:
            search = TransactionSearch(link_ids=[link.id], start=DAY - dt.timedelta(30), end=DAY)
            listed = await transaction_reader.search(session, app.app_id, search, offset=0, limit=10)
        return before, await page(0, 10), pages, [row.description for row in listed]
    finally:
        await database.dispose()


def test_newest_first_and_an_update_moves_nothing(database_url: str) -> None:
    before, after, pages, listed = asyncio.run(orders(database_url))
    assert before == ["Shop t-3", "Shop t-2", "Shop t-1", "Shop t-4"]
    assert after == ["Shop t-3", "Shop t-2", "Shop t-1, renamed", "Shop t-4"]
    assert pages == after
    assert listed == after


async def several_links_pages(database_url: str) -> tuple[list[list[str]], list[list[str]], list[int]]:
    """Pages of three links' window read as Postgres reads them (merged per link) and as one sorted
    statement, at several offsets, and the totals."""
    database = Database.from_settings(Settings(database_url=database_url, secret_key="p" * 48))
    try:
        async with database.unit_of_work() as session:
            app = await developer_service.bootstrap(session, email="m@example.com", master_key="p" * 48)
        link_ids = []
        for number in range(3):
            link = await new_import_link(database, app.app_id, ["acc-1"])
            link_ids.append(link.id)
            days = [DAY - dt.timedelta(days=(number + n) % 4) for n in range(7)]  # dates shared across links
            async with database.unit_of_work() as session:
                ids = await product_repository.account_ids(session, app.app_id, link.id)
                await transaction_repository.apply(
                    session, app_id=app.app_id, link_id=link.id, account_ids=ids,
                    upserted=[spent(f"l{number}-t{n}", day) for n, day in enumerate(days)],
                )  # fmt: skip
        merged, sorted_, totals = [], [], []
        async with database.read_only() as session:
            for offset in (0, 4, 9, 19, 21):
                rows, total = await transaction_reader.page(
                    session,
                    app.app_id,
                    link_ids,
                    start=DAY - dt.timedelta(30),
                    end=DAY,
                    offset=offset,
                    limit=5,
                )
                merged.append([row.description for row in rows])
                totals.append(total)
                everything = TransactionSearch(
                    link_ids=link_ids, start=DAY - dt.timedelta(30), end=DAY, direction="debit"
                )  # fmt: skip (the per-call statement)
                listed = await transaction_reader.search(
                    session, app.app_id, everything, offset=offset, limit=5
                )
                sorted_.append([row.description for row in listed])
        return merged, sorted_, totals
    finally:
        await database.dispose()


def test_a_page_over_several_links_is_the_sorted_window(postgres_url: str) -> None:
    """Postgres reads several links' page as each link's first rows merged; it must be exactly the page
    of the whole window sorted (here: the filtered listing's statement, one ORDER BY over all rows)."""
    merged, sorted_, totals = asyncio.run(several_links_pages(postgres_url))
    assert merged == sorted_
    assert [len(page) for page in merged] == [5, 5, 5, 2, 0]
    assert totals == [21] * 5
