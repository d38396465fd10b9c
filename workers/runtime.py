"""Per-thread worker resources: one event loop, one database engine, one HTTP client.

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

from gateway.db import Database
from gateway.settings import Settings, get_settings
from gateway.webhooks.key_ring import RingCache
from gateway.webhooks.transport import webhook_client
from workers.enqueue import send_task_request

T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._runner = asyncio.Runner()
        self._database: Database | None = None
        self._http: httpx.AsyncClient | None = None
        self.rings = RingCache()

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database.from_settings(self.settings, task_sender=send_task_request)
        return self._database

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = webhook_client(
                timeout_s=self.settings.webhook_timeout_s,
                allow_private_networks=bool(self.settings.webhook_allow_private_networks),
            )
        return self._http

    def run(self, work: Callable[[WorkerRuntime], Awaitable[T]]) -> T:
        return self._runner.run(_call(work, self))

    def close(self) -> None:
        async def release() -> None:
            if self._http is not None:
                await self._http.aclose()
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
