"""Per-thread worker resources: one event loop, one database engine, one HTTP client per purpose (webhooks,
upstreams) and the provider adapters built on it.

Celery tasks are synchronous; each worker thread (or prefork child) keeps a long-lived event loop so
the async service code runs unchanged and connection pools are reused across tasks, never rebuilt
per task.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import redis.asyncio as redis

from gateway.db import Database
from gateway.metrics.pools import track_pool
from gateway.outbound.transport import webhook_client
from gateway.settings import Settings, get_settings
from gateway.upstreams.registry import build_registry, upstream_client
from gateway.webhooks.endpoint_slots import EndpointSlots, RedisEndpointSlots, local_endpoint_slots
from gateway.webhooks.key_ring import RingCache
from providers.registry import ProviderRegistry
from workers.enqueue import send_task_request

T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._runner = asyncio.Runner()
        self._database: Database | None = None
        self._http: httpx.AsyncClient | None = None
        self._upstream_http: httpx.AsyncClient | None = None
        self._providers: ProviderRegistry | None = None
        self.rings = RingCache()
        self._slots: EndpointSlots | None = None
        self._redis: redis.Redis | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database.from_settings(self.settings, task_sender=send_task_request)
            track_pool(self._database.engine, "worker")
        return self._database

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = webhook_client(
                timeout_s=self.settings.webhook_timeout_s,
                allow_private_networks=bool(self.settings.outbound_allow_private_networks),
            )
        return self._http

    @property
    def providers(self) -> ProviderRegistry:
        if self._providers is None:
            self._upstream_http = upstream_client(self.settings)
            self._providers = build_registry(self.settings, self._upstream_http)
        return self._providers

    @property
    def endpoint_slots(self) -> EndpointSlots:
        if self._slots is None:
            limit = self.settings.webhook_endpoint_concurrency
            if self.settings.redis_url is None:
                self._slots = local_endpoint_slots(limit)
            else:
                client = redis.Redis.from_url(self.settings.redis_url)
                self._redis = client
                self._slots = RedisEndpointSlots(client, limit=limit, lease_s=self.settings.job_lease_s)
        return self._slots

    def run(self, work: Callable[[WorkerRuntime], Awaitable[T]]) -> T:
        return self._runner.run(_call(work, self))

    def close(self) -> None:
        async def release() -> None:
            for client in (self._http, self._upstream_http):
                if client is not None:
                    await client.aclose()
            if self._redis is not None:
                await self._redis.aclose()
            if self._database is not None:
                await self._database.dispose()

        self._runner.run(release())
        self._runner.close()


async def _call(work: Callable[[WorkerRuntime], Awaitable[T]], runtime: WorkerRuntime) -> T:
    return await work(runtime)


_local = threading.local()


def current_runtime() -> WorkerRuntime:
    """This thread's runtime, created on first use."""
    runtime: WorkerRuntime | None = getattr(_local, "runtime", None)
    if runtime is None:
        runtime = _local.runtime = WorkerRuntime(get_settings())
    return runtime
