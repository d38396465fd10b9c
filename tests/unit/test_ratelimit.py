"""The Redis limiter fails open and fast; generous limits settle with the shared counter in batches."""

from __future__ import annotations

import asyncio
import socket
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.requests import Request

from gateway.auth.throttle import address_of
from gateway.ratelimit import (
    MemoryRateLimiter,
    RedisRateLimiter,
    SettlingRateLimiter,
    Verdict,
    counter_client,
)


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the probe is


async def test_an_unreachable_redis_allows_every_request_without_waiting() -> None:
    client = counter_client(f"redis://127.0.0.1:{closed_loopback_port()}/0", timeout_s=2.0)
    limiter = RedisRateLimiter(client)
    try:
        started = time.monotonic()
        for _ in range(100):
            verdict = await limiter.hit("requests:address:2001:db8::1", limit=0, window_s=60)
            assert verdict.allowed
            assert 0 < verdict.retry_after_s <= 60
            assert (await limiter.count("fail:address:2001:db8::1", window_s=60))[0] == 0
        assert time.monotonic() - started < 1.5  # one refused connection, not a retry with backoff each
    finally:
        await client.aclose()


class CountingLimiter(MemoryRateLimiter):
    """The shared counter, recording how often it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.round_trips = 0

    async def hit(self, key: str, *, limit: int, window_s: int, amount: int = 1) -> Verdict:
        self.round_trips += 1
        return await super().hit(key, limit=limit, window_s=window_s, amount=amount)


async def test_generous_limits_settle_with_the_shared_counter_in_batches(monkeypatch) -> None:
    monkeypatch.setattr("gateway.ratelimit.SETTLE_S", 3600.0)  # a slow machine's pauses settle nothing
    shared = CountingLimiter()
    calls = SettlingRateLimiter(shared)
    verdicts = [await calls.hit("requests:client:c", limit=100_000, window_s=3600) for _ in range(999)]
    assert all(verdict.allowed for verdict in verdicts)
    assert shared.round_trips == 1  # the first request; 999 is under 1/SETTLE_FRACTION of the limit


async def test_a_limit_that_looks_reached_is_settled_exactly() -> None:
    shared = CountingLimiter()
    first, second = SettlingRateLimiter(shared), SettlingRateLimiter(shared)  # two processes
    allowed = [
        (await process.hit("requests:address:a", limit=10, window_s=3600)).allowed
        for process in (first, second) * 6
    ]
    assert allowed == [True] * 10 + [False] * 2


def _request_from(host: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 40000)})


def test_an_ipv6_caller_is_limited_by_its_slash_64() -> None:
    """One host is usually given a whole /64: rotating through it must not reset its failure count."""
    one, same_64, next_64 = (
        address_of(_request_from(host), ())
        for host in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:3::1")
    )
    assert one == same_64 == "2001:db8:1:2::/64"
    assert next_64 != one
    assert address_of(_request_from("192.0.2.7"), ()) == "192.0.2.7"
    assert address_of(_request_from("::ffff:192.0.2.7"), ()) == "192.0.2.7"


class SlowRedis:
    """A Redis that failed once and then answers only when released (a black hole while held)."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def get(self, key: str) -> bytes | None:
        self.calls += 1
        if self.calls == 1:
            raise RedisConnectionError("refused")
        await self.release.wait()
        return b"3"


async def test_after_an_outage_one_request_probes_redis_and_the_rest_pass_at_once() -> None:
    redis = SlowRedis()
    limiter = RedisRateLimiter(redis)  # type: ignore[arg-type]
    assert (await limiter.count("fail:address:a", window_s=60))[0] == 0  # the outage starts a pause
    limiter._paused_until = 0.0  # the pause is over (white box: it lasts OUTAGE_PAUSE_S)
    probe = asyncio.create_task(limiter.count("fail:address:a", window_s=60))
    await asyncio.sleep(0)  # the probe is now waiting on Redis
    others = [await asyncio.wait_for(limiter.count("fail:address:a", window_s=60), 1) for _ in range(20)]
    assert redis.calls == 2  # the probe's alone
    assert all(count == 0 for count, _ in others)  # and none waited on it
    redis.release.set()
    assert (await probe)[0] == 3
    assert (await limiter.count("fail:address:a", window_s=60))[0] == 3  # answered: counting again
