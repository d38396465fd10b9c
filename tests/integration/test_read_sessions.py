"""Read-only sessions (`Database.read_only`), as the transaction read routes use them: each statement
runs on its own (no BEGIN, no COMMIT), and nothing can be written through them, on both dialects."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select, update

from gateway.db import Database
from gateway.models.developer import Developer
from gateway.settings import Settings


def with_database(url: str, work: Callable[[Database], Awaitable[None]]) -> None:
    async def run() -> None:
        database = Database.from_settings(Settings(database_url=url, secret_key="r" * 48))
        try:
            await work(database)
        finally:
            await database.dispose()

    asyncio.run(run())


def test_reads_work_and_writes_are_refused(database_url: str) -> None:
    async def work(database: Database) -> None:
        async with database.read_only() as session:
            assert (await session.execute(select(func.count()).select_from(Developer))).scalar_one() == 0
            with pytest.raises(RuntimeError, match="does not write"):
                await session.execute(update(Developer).values(email="x@example.com"))
        async with database.read_only() as session:
            session.add(Developer(email="new@example.com", name="New"))
            with pytest.raises(RuntimeError, match="does not write"):
                await session.flush()
        async with database.sessions() as session:
            assert (await session.execute(select(func.count()).select_from(Developer))).scalar_one() == 0

    with_database(database_url, work)


def test_each_statement_is_its_own_transaction_on_postgres(postgres_url: str) -> None:
    """`now()` is the start of the statement's transaction: two statements of a read-only session see
    two (a round trip apart), two of a unit of work the same one."""
    started = select(func.now())

    async def work(database: Database) -> None:
        async with database.read_only() as session:
            first = (await session.execute(started)).scalar_one()
            assert (await session.execute(started)).scalar_one() != first
        async with database.sessions() as session:
            first = (await session.execute(started)).scalar_one()
            assert (await session.execute(started)).scalar_one() == first

    with_database(postgres_url, work)
