"""Database pool use, per role (`api`, `worker`), sampled from SQLAlchemy's pools.

A pool counts its own connections; sampling it costs nothing per request, where pool events would
write to the metrics files on every checkout. Each process samples its pools every
`SAMPLE_INTERVAL_S` on a daemon thread, and the process serving a scrape samples its own at once.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from gateway.metrics.definitions import DB_POOL_CONNECTIONS, DB_POOL_MAX_CONNECTIONS

SAMPLE_INTERVAL_S = 5.0

_engines: weakref.WeakKeyDictionary[AsyncEngine, str] = weakref.WeakKeyDictionary()
_roles: set[str] = set()
_lock = threading.Lock()
_sampler: threading.Thread | None = None
_stopped = threading.Event()


def track_pool(engine: AsyncEngine, role: str) -> None:
    """Count `engine`'s pool under `role` for as long as the engine lives; starts the sampler."""
    global _sampler
    with _lock:
        _engines[engine] = role
        _roles.add(role)
        if _sampler is None or not _sampler.is_alive():
            _sampler = threading.Thread(target=_sample_forever, name="linkgate-pool-metrics", daemon=True)
            _sampler.start()
    sample_pools()


def sample_pools() -> None:
    """Set the pool gauges from this process's pools now."""
    checked_out: dict[str, int] = defaultdict(int)
    idle: dict[str, int] = defaultdict(int)
    limit: dict[str, int] = defaultdict(int)
    with _lock:
        tracked = list(_engines.items())
        roles = sorted(_roles)
    for engine, role in tracked:
        pool = engine.sync_engine.pool
        # QueuePool and its async adaptation count connections; other pools (NullPool, StaticPool) do not.
        if isinstance(pool, QueuePool):
            checked_out[role] += pool.checkedout()
            idle[role] += pool.checkedin()
            limit[role] += pool.size() + max(0, pool._max_overflow)
    for role in roles:
        DB_POOL_CONNECTIONS.labels(role, "checked_out").set(checked_out[role])
        DB_POOL_CONNECTIONS.labels(role, "idle").set(idle[role])
        DB_POOL_MAX_CONNECTIONS.labels(role).set(limit[role])


def _sample_forever() -> None:
    while not _stopped.wait(SAMPLE_INTERVAL_S):
        sample_pools()
