"""Fixed-window rate limits, shared through Redis across processes, or in memory when embedded.

While Redis is unreachable the Redis limiter counts nothing and allows everything: every request
passes a limit, and an outage of the counters must not become an outage of the API. Its client tries
once (`counter_client`), and after a failure the limiter leaves Redis alone for OUTAGE_PAUSE_S, so
an outage costs one failed try every few seconds instead of a wait on every request.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway.auth.cache import TtlCache

KEY_PREFIX = "linkgate:ratelimit:"
OUTAGE_PAUSE_S = 5.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int
    count: int = 0


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_s: int, amount: int = 1) -> Verdict:
        """Count `amount` events against `key` in the current window; allowed while the count is
        within `limit`."""
        ...

    async def count(self, key: str, *, window_s: int) -> tuple[int, int]:
        """How many events `key` has in the current window, and the seconds until the window ends."""
        ...


def _window(window_s: int) -> tuple[int, int]:
    now = int(time.time())
    start = now - now % window_s
    return start, start + window_s - now


def counter_client(url: str, timeout_s: float) -> aioredis.Redis:
    """A Redis client for counters: one try per command (no retries with backoff), bounded waits."""
    return aioredis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
    )


class RedisRateLimiter:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client
        self._paused_until = 0.0
        self._probe_due = False

    async def hit(self, key: str, *, limit: int, window_s: int, amount: int = 1) -> Verdict:
        start, remaining = _window(window_s)
        bucket = f"{KEY_PREFIX}{key}:{start}"
        if self._paused():
            return Verdict(allowed=True, retry_after_s=remaining)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incrby(bucket, amount)
                pipe.expire(bucket, window_s)
                count, _ = await pipe.execute()
        except RedisError as exc:
            self._pause(exc)
            return Verdict(allowed=True, retry_after_s=remaining)
        self._answered()
        return Verdict(allowed=int(count) <= limit, retry_after_s=remaining, count=int(count))

    async def count(self, key: str, *, window_s: int) -> tuple[int, int]:
        start, remaining = _window(window_s)
        if self._paused():
            return 0, remaining
        try:
            count = await self._redis.get(f"{KEY_PREFIX}{key}:{start}")
        except RedisError as exc:
            self._pause(exc)
            return 0, remaining
        self._answered()
        return int(count or 0), remaining

    def _paused(self) -> bool:
        now = time.monotonic()
        if now < self._paused_until:
            return True
        if self._probe_due:
            # Only the first caller after a pause tries Redis again; the rest pass until it has answered
            # (a black-holed Redis would otherwise hold every request in flight for a socket timeout).
            self._probe_due = False
            self._paused_until = now + OUTAGE_PAUSE_S
        return False

    def _pause(self, error: RedisError) -> None:
        logger.warning("rate limits not counted for %.0f s, Redis is unavailable: %s", OUTAGE_PAUSE_S, error)
        self._paused_until = time.monotonic() + OUTAGE_PAUSE_S
        self._probe_due = True

    def _answered(self) -> None:
        """Redis answered: a probe after an outage ends the pause for everyone."""
        self._paused_until = 0.0


class MemoryRateLimiter:
    """One process only: right for the embedded mode, where there is one process."""

    def __init__(self) -> None:
        self._counts: TtlCache[str, int] = TtlCache(100_000)

    async def hit(self, key: str, *, limit: int, window_s: int, amount: int = 1) -> Verdict:
        start, remaining = _window(window_s)
        bucket = f"{key}:{start}"
        count = (self._counts.get(bucket) or 0) + amount
        self._counts.put(bucket, count, remaining)
        return Verdict(allowed=count <= limit, retry_after_s=remaining, count=count)

    async def count(self, key: str, *, window_s: int) -> tuple[int, int]:
        start, remaining = _window(window_s)
        return self._counts.get(f"{key}:{start}") or 0, remaining


SETTLE_S = 0.5
SETTLE_FRACTION = 100


@dataclass
class _Tally:
    settled: int = 0  # the shared count when this process last settled
    pending: int = 0  # counted here since then
    settled_at: float = float("-inf")


class SettlingRateLimiter:
    """For generous limits counted on every request: counts in memory and settles with the shared
    limiter every SETTLE_S, every 1/SETTLE_FRACTION of the limit, and whenever the limit looks
    reached. A busy caller then costs a Redis round trip a few times a second instead of one per
    request (about 150-300 us each on a busy 2-core machine); the price is that the shared count may
    overshoot by what other processes counted since they last settled."""

    def __init__(self, shared: RateLimiter) -> None:
        self._shared = shared
        self._tallies: TtlCache[str, _Tally] = TtlCache(100_000)

    async def hit(self, key: str, *, limit: int, window_s: int, amount: int = 1) -> Verdict:
        start, remaining = _window(window_s)
        bucket = f"{key}:{start}"
        tally = self._tallies.get(bucket)
        if tally is None:
            tally = _Tally()
            self._tallies.put(bucket, tally, remaining)
        tally.pending += amount
        if _settle_due(tally, limit):
            pending, tally.pending = tally.pending, 0
            settled = await self._shared.hit(key, limit=limit, window_s=window_s, amount=pending)
            tally.settled, tally.settled_at = settled.count, time.monotonic()
        count = tally.settled + tally.pending
        return Verdict(allowed=count <= limit, retry_after_s=remaining, count=count)

    async def count(self, key: str, *, window_s: int) -> tuple[int, int]:
        return await self._shared.count(key, window_s=window_s)


def _settle_due(tally: _Tally, limit: int) -> bool:
    return (
        tally.settled + tally.pending > limit
        or tally.pending >= max(1, limit // SETTLE_FRACTION)
        or time.monotonic() - tally.settled_at >= SETTLE_S
    )
