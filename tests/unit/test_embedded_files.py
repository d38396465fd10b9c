"""The embedded SQLite database and its WAL and SHM files are readable by their owner only."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.db import Database
from gateway.migrate import upgrade_to_head
from gateway.settings import Settings

PRIVATE = 0o600


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The common default umask, under which files are created world-readable unless made private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def assert_database_files_private(database_file: Path) -> None:
    """Write through the gateway's engine, then check all three files while the connection keeps
    the WAL and SHM files (SQLite removes them when the last connection closes)."""
    database = Database.from_settings(Settings(database_url=f"sqlite:///{database_file}", redis_url=None))
    try:
        async with database.unit_of_work() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER)"))
            await session.execute(text("INSERT INTO probe VALUES (1)"))
        files = [database_file, Path(f"{database_file}-wal"), Path(f"{database_file}-shm")]
        assert {file.name: mode(file) for file in files} == {file.name: PRIVATE for file in files}
    finally:
        await database.dispose()


async def test_a_database_first_opened_by_the_engine_is_private(tmp_path: Path) -> None:
    await assert_database_files_private(tmp_path / "linkgate.db")


def test_a_database_first_created_by_the_migrations_is_private(tmp_path: Path) -> None:
    database_file = tmp_path / "linkgate.db"
    upgrade_to_head(f"sqlite:///{database_file}")  # runs its own event loop, as `linkgate serve` does
    assert mode(database_file) == PRIVATE
    asyncio.run(assert_database_files_private(database_file))
