"""Pooled Postgres connections are pinged after sitting idle, not on every checkout (gateway/db_liveness.py).

The real Postgres, reached through a proxy that can cut the connections as a restart would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateway.db import async_database_url, create_engine
from gateway.db_liveness import IDLE_PING_AFTER_S, ping_idle_connections
from gateway.settings import Settings
from tests.conftest import TEST_DATABASE
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


def proxied_url(proxy: TcpProxy) -> str:
    return f"postgresql://postgres@127.0.0.1:{proxy.port}/{TEST_DATABASE}"


@pytest.fixture
async def plain_engine(proxy: TcpProxy) -> AsyncIterator[AsyncEngine]:
    """One pooled connection and no liveness check at all; tests add the one they exercise."""
    engine = create_async_engine(async_database_url(proxied_url(proxy)), pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


def count_pings(engine: AsyncEngine) -> list[int]:
    pings = [0]
    ping = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings[0] += 1
        return ping(dbapi_connection)

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return pings


async def select_one(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT 1"))).scalar_one())


def cut_connections(proxy: TcpProxy) -> None:
    proxy.stop()
    proxy.start()


async def test_the_gateway_engine_replaces_a_connection_cut_while_idle(proxy: TcpProxy) -> None:
    engine = create_engine(Settings(database_url=proxied_url(proxy), redis_url=None))
    try:
        assert await select_one(engine) == 1
        cut_connections(proxy)
        await asyncio.sleep(IDLE_PING_AFTER_S + 0.5)
        assert await select_one(engine) == 1  # the ping found it dead; a new connection answered
    finally:
        await engine.dispose()


async def test_without_a_ping_a_cut_connection_fails_its_next_statement_then_the_pool_recovers(
    proxy: TcpProxy, plain_engine: AsyncEngine
) -> None:
    assert await select_one(plain_engine) == 1
    cut_connections(proxy)
    with pytest.raises(exc.DBAPIError) as raised:
        await select_one(plain_engine)
    assert raised.value.connection_invalidated
    assert await select_one(plain_engine) == 1


async def test_a_connection_used_moments_ago_is_not_pinged(plain_engine: AsyncEngine) -> None:
    ping_idle_connections(plain_engine.sync_engine, idle_after_s=60)
    pings = count_pings(plain_engine)
    for _ in range(5):
        assert await select_one(plain_engine) == 1
    assert pings[0] == 0


async def test_an_idle_connection_is_pinged_and_a_dead_one_never_reaches_the_caller(
    proxy: TcpProxy, plain_engine: AsyncEngine
) -> None:
    ping_idle_connections(plain_engine.sync_engine, idle_after_s=0.2)
    pings = count_pings(plain_engine)
    assert await select_one(plain_engine) == 1
    assert pings[0] == 0  # a new connection is not pinged
    await asyncio.sleep(0.3)
    assert await select_one(plain_engine) == 1
    assert pings[0] == 1
    cut_connections(proxy)
    await asyncio.sleep(0.3)
    assert await select_one(plain_engine) == 1
    assert pings[0] == 2  # the failed ping; its replacement is new and not pinged
