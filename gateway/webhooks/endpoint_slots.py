"""How many deliveries may be in flight to one endpoint at once, across every worker.

A callback that hangs until the timeout would otherwise take every worker slot and starve other
developers' deliveries. A delivery that finds its endpoint's slots full is put back, not attempted
(see `Deferred`), and tries again shortly.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import redis.asyncio as redis

from gateway.webhooks.uris import UnusableWebhookUri, parse_webhook_uri

# Remove expired holders, then take a slot if one is free; a holder's entry expires with its lease.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


def endpoint_of(url: str) -> str:
    """Deliveries to one scheme, host and port share slots; an unusable URI is its own endpoint (its
    attempt fails without a request)."""
    try:
        return parse_webhook_uri(url).endpoint
    except UnusableWebhookUri:
        return url


class EndpointSlots(Protocol):
    def hold(self, endpoint: str) -> AbstractAsyncContextManager[bool]:
        """An async context manager yielding whether a slot was taken (released on exit)."""
        ...


class RedisEndpointSlots:
    """Slots shared by every worker process through Redis; a crashed holder's slot expires."""

    def __init__(self, client: redis.Redis, *, limit: int, lease_s: float) -> None:
        self._client, self.limit, self.lease_s = client, limit, lease_s
        self._acquire = client.register_script(_ACQUIRE)

    @asynccontextmanager
    async def hold(self, endpoint: str) -> AsyncIterator[bool]:
        key, token, now = f"linkgate:webhook-slots:{endpoint}", uuid.uuid4().hex, time.time()
        args: list[str | float | int] = [
            now,
            self.limit,
            now + self.lease_s,
            token,
            int(self.lease_s * 1000) + 1000,
        ]
        taken = bool(await self._acquire(keys=[key], args=args))
        try:
            yield taken
        finally:
            if taken:
                await self._client.zrem(key, token)


class LocalEndpointSlots:
    """Slots within one process (embedded mode, where every worker thread lives in `serve`)."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, endpoint: str) -> AsyncIterator[bool]:
        with self._lock:
            taken = self._held[endpoint] < self.limit
            if taken:
                self._held[endpoint] += 1
        try:
            yield taken
        finally:
            if taken:
                with self._lock:
                    self._held[endpoint] -= 1


_local_slots: LocalEndpointSlots | None = None
_local_lock = threading.Lock()


def local_endpoint_slots(limit: int) -> LocalEndpointSlots:
    """The one set of in-process slots every worker thread of this process shares."""
    global _local_slots
    with _local_lock:
        if _local_slots is None:
            _local_slots = LocalEndpointSlots(limit=limit)
        return _local_slots
