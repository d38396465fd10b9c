"""Benchmarks on this machine's PostgreSQL: a scratch database per run, and the servers they start."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parents[1]


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def scratch_database(*, keep: bool = False) -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards unless `keep`."""
    name = f"linkgate_bench_{secrets.token_hex(4)}"
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        if keep:
            print(f"kept database {url}")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# The load comes from one address and one client far faster than real traffic: limits stay on (their
# cost is part of what is measured) but high enough never to refuse.
BENCH_RATE_LIMITS = {
    "LINKGATE_RATE_LIMIT_REQUESTS_PER_ADDRESS": str(10**12),
    "LINKGATE_RATE_LIMIT_REQUESTS_PER_CLIENT": str(10**12),
}


def gateway_env(database_url: str, **extra: str) -> dict[str, str]:
    """This process's environment without LINKGATE_ settings, plus the benchmark's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")}
    ours = {
        "LINKGATE_DATABASE_URL": database_url,
        "LINKGATE_SECRET_KEY": "b" * 48,
        "LINKGATE_REDIS_URL": "redis://127.0.0.1:6379/8",
        "LINKGATE_LOG_LEVEL": "WARNING",
    } | BENCH_RATE_LIMITS
    return env | ours | extra


async def settle(database_url: str) -> None:
    """ANALYZE, as autovacuum does within a minute of a bulk load: benches measure a settled database."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def results_table(rows: list[tuple[str, str, str]]) -> list[str]:
    return [
        "| measure | result | goal |",
        "| --- | --- | --- |",
        *(f"| {m} | {v} | {g} |" for m, v, g in rows),
    ]
