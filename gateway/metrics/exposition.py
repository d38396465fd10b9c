"""Where scrapes are answered: `GET /metrics` on the API port, or a port of its own
(`LINKGATE_METRICS_PORT`) for any `linkgate` command.

Neither asks for credentials nor counts against rate limits (like `/healthz`); what is exposed is
counts and timings under bounded labels, never an id, token or account number. Exposure is a setting
(`LINKGATE_METRICS_ENABLED`), and the separate port binds to `LINKGATE_METRICS_HOST` (loopback unless
told otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from gateway.metrics.database import DatabaseGauges
from gateway.metrics.multiprocess import scrape_source
from gateway.metrics.pools import sample_pools
from gateway.settings import Settings
from gateway.state import get_app_state

router = APIRouter(include_in_schema=False)


class Scrape(Collector):
    """One scrape's sources, read in turn."""

    def __init__(self, sources: Iterable[Collector]) -> None:
        self.sources = tuple(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def render(*extra: Collector) -> bytes:
    """The text exposition of every process's metrics (this host's, in multiprocess mode) and `extra`."""
    sample_pools()
    return generate_latest(Scrape((scrape_source(), *extra)))


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this host's Linkgate processes, and the database gauges."""
    state = get_app_state(request)
    extra: list[Collector] = []
    if state.metrics_gauges is not None:
        await state.metrics_gauges.refresh(state.database)
        extra.append(state.metrics_gauges)
    body = await asyncio.to_thread(render, *extra)  # reading every process's files takes a while
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class _PortScrape(Collector):
    def __init__(self, settings: Settings, gauges: DatabaseGauges | None) -> None:
        self.settings = settings
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        sample_pools()
        yield from scrape_source().collect()
        if self.gauges is not None:
            self.gauges.refresh_blocking(self.settings)
            yield from self.gauges.collect()


def serve_port(settings: Settings, *, with_database: bool) -> None:
    """Answer scrapes on `LINKGATE_METRICS_PORT` from a daemon thread of this process. `with_database`
    adds the database gauges (the API's command; workers and schedulers leave them to it)."""
    if settings.metrics_port is None:
        return
    gauges = DatabaseGauges.from_settings(settings) if with_database else None
    start_http_server(
        settings.metrics_port, addr=settings.metrics_host, registry=_PortScrape(settings, gauges)
    )
