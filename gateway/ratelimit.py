"""Fixed-window rate limits, shared through Redis across processes, or in memory when embedded.

While Redis is unreachable the Redis limiter counts nothing and allows everything: every request
passes a limit, and an outage of the counters must not become an outage of the API.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.auth.cache import TtlCache

KEY_PREFIX = "linkgate:ratelimit:"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_s: int) -> Verdict:
        """Count one event against `key` in the current window; allowed while the count is within `limit`."""
        ...

    async def count(self, key: str, *, window_s: int) -> tuple[int, int]:
        """How many events `key` has in the current window, and the seconds until the window ends."""
        ...


def _window(window_s: int) -> tuple[int, int]:
    now = int(time.time())
    start = now - now % window_s
    return start, start + window_s - now


class RedisRateLimiter:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    async def hit(self, key: str, *, limit: int, window_s: int) -> Verdict:
        start, remaining = _window(window_s)
        bucket = f"{KEY_PREFIX}{key}:{start}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(bucket)
                pipe.expire(bucket, window_s)
                count, _ = await pipe.execute()
        except RedisError as exc:
            logger.warning("rate limits not counted, Redis is unavailable: %s", exc)
            return Verdict(allowed=True, retry_after_s=remaining)
        return Verdict(allowed=int(count) <= limit, retry_after_s=remaining)

    async def count(self, key: str, *, window_s: int) -> tuple[int, int]:
        start, remaining = _window(window_s)
        try:
            count = await self._redis.get(f"{KEY_PREFIX}{key}:{start}")
        except RedisError as exc:
            logger.warning("rate limits not counted, Redis is unavailable: %s", exc)
            return 0, remaining
        return int(count or 0), remaining


class MemoryRateLimiter:
    """One process only: right for the embedded mode, where there is one process."""

    def __init__(self) -> None:
        self._counts: TtlCache[str, int] = TtlCache(100_000)

    async def hit(self, key: str, *, limit: int, window_s: int) -> Verdict:
        start, remaining = _window(window_s)
        bucket = f"{key}:{start}"
        count = (self._counts.get(bucket) or 0) + 1
        self._counts.put(bucket, count, remaining)
        return Verdict(allowed=count <= limit, retry_after_s=remaining)

    async def count(self, key: str, *, window_s: int) -> tuple[int, int]:
        start, remaining = _window(window_s)
        return self._counts.get(f"{key}:{start}") or 0, remaining
