"""The Redis limiter counts nothing and refuses nothing while Redis is unreachable, and fast."""

from __future__ import annotations

import socket
import time

from gateway.ratelimit import RedisRateLimiter, counter_client


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
