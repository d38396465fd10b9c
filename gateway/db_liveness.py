"""Checking pooled Postgres connections before use, but only those that sat idle.

SQLAlchemy's `pool_pre_ping` pings on every checkout: an extra round trip per request, about a tenth of
the Python time of a transactions page (bench/RESULTS.md). A connection checked in a moment ago is as
alive as the ping would say; the ones that die unseen are those left idle, cut by a database restart, a
proxy's or firewall's idle timeout. So only a connection idle longer than `IDLE_PING_AFTER_S` is pinged,
and one that fails is replaced before the request sees it. A connection that dies while busy fails its
statement; SQLAlchemy then sees the disconnect and recycles the whole pool, so the next checkouts are
fresh.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

IDLE_PING_AFTER_S = 5.0
_CHECKED_IN_AT = "linkgate.checked_in_at"


def ping_idle_connections(engine: Engine, *, idle_after_s: float = IDLE_PING_AFTER_S) -> None:
    """Ping a pooled connection at checkout when it has been idle for more than `idle_after_s`."""

    @event.listens_for(engine.pool, "checkin")
    def _remember_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at <= idle_after_s:
            return  # new, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error
