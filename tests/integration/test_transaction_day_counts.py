"""The per-link, per-day counts of live transactions stay exactly `count(*)` of the rows.

Seeded random sequences of refreshes (creations, edits that move a transaction to another day or
account, postings, removals, restorations), imports, link deletions and account-moving edits run on
both dialects; on Postgres several run at once against the same links, as a worker's refreshes and an
app's imports do. After every round the stored counts must equal a `GROUP BY` of the rows, and a page's
total must equal `count(*)` over the same window.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bench.import_links import as_imported, new_import_link
from gateway.db import Database
from gateway.developers.service import developer_service
from gateway.links.imports import (
    import_transactions,
)
from gateway.links.repository import link_reader
from gateway.links.service import link_service
from gateway.models.transaction import Transaction, TransactionDayCount
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.transactions.repository import TransactionSearch, transaction_reader, transaction_repository
from providers.base import NormalizedTransaction

FIRST_DAY = dt.date(2026, 9, 1)
DAYS = 40
ACCOUNTS = ("acc-1", "acc-2", "acc-3")
SEEDS = range(3)
Cell = tuple[uuid.UUID, uuid.UUID, dt.date]  # (link, account, day)
ROUNDS = 12


def some_day(rng: random.Random) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))


def made_up(rng: random.Random, provider_id: str) -> NormalizedTransaction:
    return NormalizedTransaction(
        provider_transaction_id=provider_id, provider_account_id=rng.choice(ACCOUNTS),
        amount=Decimal(rng.randrange(1, 10_000)) / 100, direction=rng.choice(("debit", "credit")),
        currency="USD", date=some_day(rng), description=f"Shop {provider_id}", pending=rng.random() < 0.3,
    )  # fmt: skip


@dataclass
class Upstream:
    """What one link's provider holds: the transactions it reports, and the ones it has taken back."""

    live: dict[str, NormalizedTransaction] = field(default_factory=dict)
    gone: dict[str, NormalizedTransaction] = field(default_factory=dict)
    made: int = 0

    def refresh(self, rng: random.Random) -> tuple[list[NormalizedTransaction], list[str]]:
        """One refresh's delta: new, edited (other day, account, amount, posted), removed and restored."""
        upserted: list[NormalizedTransaction] = []
        for _ in range(rng.randrange(0, 25)):
            self.made += 1
            upserted.append(made_up(rng, f"t-{self.made}"))
        for provider_id in rng.sample(sorted(self.live), min(len(self.live), rng.randrange(0, 8))):
            old = self.live[provider_id]
            upserted.append(replace(old, date=some_day(rng), provider_account_id=rng.choice(ACCOUNTS),
                                    pending=old.pending and rng.random() < 0.5))  # fmt: skip
        for provider_id in rng.sample(sorted(self.gone), min(len(self.gone), rng.randrange(0, 3))):
            upserted.append(self.gone.pop(provider_id))
        removed = rng.sample(sorted(self.live), min(len(self.live), rng.randrange(0, 6)))
        removed += ["never-seen"] if rng.random() < 0.2 else []  # a provider may name what we never held
        for transaction in upserted:
            self.live[transaction.provider_transaction_id] = transaction
        if upserted and rng.random() < 0.3:  # reported (new, edited or restored) and taken back in one delta
            removed.append(rng.choice(upserted).provider_transaction_id)
        for provider_id in removed:
            if provider_id in self.live:
                self.gone[provider_id] = self.live.pop(provider_id)
        return upserted, removed


class World:
    """An app with a pool of imported links, and the operations the test draws from."""

    def __init__(self, database: Database, rng: random.Random) -> None:
        self.database, self.rng = database, rng
        self.upstreams: dict[uuid.UUID, Upstream] = {}
        self.app_id = uuid.uuid4()

    async def start(self) -> None:
        async with self.database.unit_of_work() as session:
            app = await developer_service.bootstrap(session, email="c@example.com", master_key="c" * 48)
            self.app_id = app.app_id
        for _ in range(3):
            await self.new_link()

    async def new_link(self) -> None:
        link = await new_import_link(self.database, self.app_id, ACCOUNTS)
        self.upstreams[link.id] = Upstream()

    async def refresh(self, link_id: uuid.UUID) -> None:
        upserted, removed = self.upstreams[link_id].refresh(self.rng)
        async with self.database.unit_of_work() as session:
            ids = await product_repository.account_ids(session, self.app_id, link_id)
            await transaction_repository.apply(
                session, app_id=self.app_id, link_id=link_id, account_ids=ids, upserted=upserted,
                removed=removed,
            )  # fmt: skip

    async def import_batch(self, link_id: uuid.UUID) -> None:
        """An app's import: new transactions, and some it re-sends with another date (an update)."""
        upstream = self.upstreams[link_id]
        sent: list[NormalizedTransaction] = []
        for _ in range(self.rng.randrange(1, 30)):
            upstream.made += 1
            sent.append(replace(made_up(self.rng, f"t-{upstream.made}"), pending=False))
        for provider_id in self.rng.sample(sorted(upstream.live), min(len(upstream.live), 3)):
            sent.append(replace(upstream.live[provider_id], date=some_day(self.rng), pending=False))
        upstream.live.update({transaction.provider_transaction_id: transaction for transaction in sent})
        async with self.database.unit_of_work() as session:
            link = await link_reader.require(session, self.app_id, link_id)
            await import_transactions(session, link, as_imported(sent))

    async def delete(self, link_id: uuid.UUID) -> None:
        async with self.database.unit_of_work() as session:
            await link_service.delete(session, await link_reader.require(session, self.app_id, link_id))
        del self.upstreams[link_id]
        await self.new_link()

    def draw_round(self, size: int) -> list[tuple[str, uuid.UUID]]:
        """Operations to run at once: refreshes and imports (the same link may come up twice), and a
        deletion only of a link nothing else in the round touches (a refresh of a deleted link stops
        before writing, see `gateway.links.refresh`)."""
        chosen = [self.rng.choice(list(self.upstreams)) for _ in range(size)]
        drawn = []
        for link_id in chosen:
            roll = self.rng.random()
            alone = chosen.count(link_id) == 1
            kind = "refresh" if roll < 0.6 else "import" if roll < 0.9 or not alone else "delete"
            drawn.append((kind, link_id))
        return drawn

    async def run(self, kind: str, link_id: uuid.UUID) -> None:
        operations = {"refresh": self.refresh, "import": self.import_batch, "delete": self.delete}
        await operations[kind](link_id)


async def stored_and_counted(database: Database) -> tuple[dict[Cell, int], dict[Cell, int]]:
    async with database.sessions() as session:
        cells = (TransactionDayCount.link_id, TransactionDayCount.account_id, TransactionDayCount.date)
        stored = {
            (link, account, day): live
            for link, account, day, live in await session.execute(select(*cells, TransactionDayCount.live))
            if live != 0
        }
        rows = (Transaction.link_id, Transaction.account_id, Transaction.date)
        counted = select(*rows, func.count()).where(Transaction.change_kind != "removed").group_by(*rows)
        return stored, {(link, account, day): n for link, account, day, n in await session.execute(counted)}


async def check_page_totals(world: World, rng: random.Random) -> None:
    """A page's total and Yodlee's count, over a random window, are `count(*)` of that window."""
    start = some_day(rng)
    end = start + dt.timedelta(days=rng.randrange(DAYS))
    async with world.database.sessions() as session:
        for link_id in world.upstreams:
            account_ids = sorted(
                (await product_repository.account_ids(session, world.app_id, link_id)).values()
            )
            some = rng.sample(account_ids, 2) if rng.random() < 0.5 else None
            conditions = [Transaction.link_id == link_id, Transaction.change_kind != "removed",
                          Transaction.date >= start, Transaction.date <= end]  # fmt: skip
            if some is not None:
                conditions.append(Transaction.account_id.in_(some))
            expected = (await session.execute(select(func.count()).where(*conditions))).scalar_one()
            _, total = await transaction_reader.page(
                session, world.app_id, [link_id], start=start, end=end, offset=0, limit=5, account_ids=some
            )
            rows, past_the_end = await transaction_reader.page(
                session,
                world.app_id,
                [link_id],
                start=start,
                end=end,
                offset=10**6,
                limit=5,
                account_ids=some,
            )
            search = TransactionSearch(link_ids=[link_id], start=start, end=end, account_ids=some)
            assert total == expected
            assert (rows, past_the_end) == ([], expected)
            assert await transaction_reader.count_matching(session, world.app_id, search) == expected


async def run_sequence(database_url: str, seed: int) -> None:
    rng = random.Random(seed)
    database = Database.from_settings(Settings(database_url=database_url, secret_key="c" * 48))
    concurrent = database_url.startswith("postgresql")
    world = World(database, rng)
    try:
        await world.start()
        for _ in range(ROUNDS):
            drawn = world.draw_round(3)
            if concurrent:
                await asyncio.gather(*(world.run(kind, link_id) for kind, link_id in drawn))
            else:
                for kind, link_id in drawn:
                    await world.run(kind, link_id)
            stored, counted = await stored_and_counted(database)
            assert stored == counted
            assert sum(counted.values()) > 0
            await check_page_totals(world, rng)
    finally:
        await database.dispose()


@pytest.mark.parametrize("seed", SEEDS)
def test_counts_equal_count_star_after_random_operations(database_url: str, seed: int) -> None:
    asyncio.run(run_sequence(database_url, seed))


def test_a_negative_count_is_never_left_behind(database_url: str) -> None:
    """Removing what a link holds takes its cells to zero, never below."""

    async def run() -> None:
        database = Database.from_settings(Settings(database_url=database_url, secret_key="c" * 48))
        world = World(database, random.Random(7))
        try:
            await world.start()
            link_id = next(iter(world.upstreams))
            for _ in range(4):
                await world.refresh(link_id)
            async with database.unit_of_work() as session:
                held = select(Transaction.provider_transaction_id).where(
                    Transaction.link_id == link_id, Transaction.change_kind != "removed"
                )
                everything = list((await session.execute(held)).scalars())
                ids = await product_repository.account_ids(session, world.app_id, link_id)
                await transaction_repository.apply(
                    session, app_id=world.app_id, link_id=link_id, account_ids=ids, upserted=[],
                    removed=everything,
                )  # fmt: skip
            async with database.sessions() as session:
                cells = select(TransactionDayCount.live).where(TransactionDayCount.link_id == link_id)
                lives = list((await session.execute(cells)).scalars())
            assert lives
            assert set(lives) == {0}
        finally:
            await database.dispose()

    asyncio.run(run())
