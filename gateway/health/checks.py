"""Readiness probes: can this process reach its database and its broker right now?"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from sqlalchemy import text

from gateway.db import Database


class BrokerProbe(Protocol):
    """Raises if the broker cannot take work now."""

    async def ping(self) -> None: ...


class RedisProbe:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def ping(self) -> None:
        await self._client.ping()


class EmbeddedWorkerProbe:
    """Embedded mode: the broker lives in this process; ready while its worker thread runs."""

    def __init__(self, is_alive: Callable[[], bool]) -> None:
        self._is_alive = is_alive

    async def ping(self) -> None:
        if not self._is_alive():
            raise RuntimeError("the embedded worker is not running")


async def check_database(database: Database, timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s), database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def check_broker(probe: BrokerProbe | None, timeout_s: float) -> None:
    if probe is None:
        raise RuntimeError("no broker configured for this process")
    async with asyncio.timeout(timeout_s):
        await probe.ping()
