"""Fixed-window rate limits, shared through Redis across processes, or in memory when embedded."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from gateway.auth.cache import TtlCache

KEY_PREFIX = "linkgate:ratelimit:"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_s: int) -> Verdict: ...


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
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(bucket)
            pipe.expire(bucket, window_s)
            count, _ = await pipe.execute()
        return Verdict(allowed=int(count) <= limit, retry_after_s=remaining)


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
