"""Gauges read from the database when scraped: durable jobs by kind and state, and the backlog of due
work (how many rows wait past their run time, and for how long the oldest has).

They describe the whole gateway, not a process, so they are read by the process serving the scrape,
at most once per `LINKGATE_METRICS_DATABASE_TTL_S` (concurrent scrapes share one read) and within
`LINKGATE_METRICS_DATABASE_TIMEOUT_S`: a scrape never queues work on a busy database. When the read
fails, the series are left out and `linkgate_metrics_database_up` says 0.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gateway.db import Database
from gateway.links.disconnects import UPSTREAM_DISCONNECTS
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.maintenance.queries import due_durable_rows, durable_rows_by_status
from gateway.models.base import utcnow
from gateway.settings import Settings
from gateway.webhooks.service import WEBHOOK_DELIVERIES
from workers.durable import DurableKind

logger = logging.getLogger(__name__)

KINDS: tuple[DurableKind, ...] = (WEBHOOK_DELIVERIES, REFRESH_JOBS, UPSTREAM_DISCONNECTS)
# Finished rows are counted as they finish (linkgate_durable_job_runs_total), not by reading the table.
UNFINISHED_STATES = ("pending", "running")


@dataclass(frozen=True)
class KindFigures:
    by_state: dict[str, int]
    due: int
    oldest_due_age_s: float


@dataclass
class Snapshot:
    figures: dict[str, KindFigures] = field(default_factory=dict)
    ok: bool = False


class DatabaseGauges(Collector):
    """Reads the figures (`refresh`) and yields them as gauges (`collect`)."""

    def __init__(self, *, ttl_s: float, timeout_s: float) -> None:
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._snapshot = Snapshot()
        self._read_at = float("-inf")
        self._lock: asyncio.Lock | None = None
        self._thread_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabaseGauges:
        return cls(ttl_s=settings.metrics_database_ttl_s, timeout_s=settings.metrics_database_timeout_s)

    def _fresh(self) -> bool:
        return time.monotonic() - self._read_at < self.ttl_s

    async def refresh(self, database: Database) -> None:
        """Read the figures unless a read within the TTL has (from the app's event loop)."""
        if self._fresh():
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._fresh():
                await self._read(database)

    def refresh_blocking(self, settings: Settings) -> None:
        """`refresh` from a thread with no event loop (the metrics port's server), on an engine of its
        own that lives for this one read."""
        with self._thread_lock:
            if not self._fresh():
                asyncio.run(self._read_with_own_engine(settings))

    async def _read_with_own_engine(self, settings: Settings) -> None:
        database = Database.from_settings(settings)
        try:
            await self._read(database)
        finally:
            await database.dispose()

    async def _read(self, database: Database) -> None:
        try:
            async with asyncio.timeout(self.timeout_s):
                figures = await _figures(database)
        except Exception as exc:  # any failure: leave the series out rather than fail the scrape
            logger.warning("metrics: database gauges not read: %s", type(exc).__name__)
            self._snapshot = Snapshot()
        else:
            self._snapshot = Snapshot(figures, ok=True)
        self._read_at = time.monotonic()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self._snapshot
        yield GaugeMetricFamily(
            "linkgate_metrics_database_up",
            "1 if the last read of the database gauges succeeded, else 0.",
            value=1 if snapshot.ok else 0,
        )
        if not snapshot.ok:
            return
        jobs = GaugeMetricFamily(
            "linkgate_durable_jobs",
            "Unfinished durable jobs (webhook deliveries, refreshes, upstream disconnects) by state.",
            labels=["kind", "state"],
        )
        due = GaugeMetricFamily(
            "linkgate_durable_jobs_due",
            "Pending durable jobs whose run time has passed (for webhook_delivery: the delivery backlog).",
            labels=["kind"],
        )
        age = GaugeMetricFamily(
            "linkgate_durable_jobs_oldest_due_age_seconds",
            "How long the longest-waiting due job has been due (0 when none is).",
            labels=["kind"],
        )
        for kind, figures in snapshot.figures.items():
            for state in UNFINISHED_STATES:
                jobs.add_metric([kind, state], figures.by_state.get(state, 0))
            due.add_metric([kind], figures.due)
            age.add_metric([kind], figures.oldest_due_age_s)
        yield from (jobs, due, age)


async def _figures(database: Database) -> dict[str, KindFigures]:
    now = utcnow()
    figures: dict[str, KindFigures] = {}
    async with database.read_only() as session:
        for kind in KINDS:
            by_state = await durable_rows_by_status(session, kind.model, UNFINISHED_STATES)
            count, oldest = await due_durable_rows(session, kind.model, now)
            age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            figures[kind.name] = KindFigures(by_state, count, age)
    return figures
