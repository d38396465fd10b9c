"""Credential checks leak nothing by their timing; oversized token requests are 413 (issue 15, section 3)."""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import AsyncIterator

import pytest

from gateway.app import create_app
from gateway.auth.authenticator import Authenticator
from gateway.errors import InvalidCredentials
from gateway.settings import Settings
from gateway.state import AppState
from tests.integration.platform.conftest import gateway_settings, make_tenant
from tests.support.asgi import serving

TRIES = 200
WARM_UP = 20
THREE_MIB = 3 * 1024 * 1024


async def refusal_s(auth: Authenticator, client_id: str, secret: str) -> float:
    started = time.perf_counter()
    with pytest.raises(InvalidCredentials):
        await auth.check_client(client_id, secret, "2001:db8::1")
    return time.perf_counter() - started


async def test_an_unknown_client_id_is_refused_as_fast_as_a_wrong_secret(settings: Settings) -> None:
    """The medians of 200 refusals each, interleaved, are within 10%.

    Measured in-process on `check_client`, the call every credential check of every collection makes,
    with rate limits off (they are the same for both and would turn the tries into 429s). Over HTTP
    each try costs about a millisecond of ASGI and event-loop work whose jitter on a busy 2-core
    machine is larger than 10% of it, which would hide a leak as easily as invent one; in-process
    the refusal itself is measured, where the leak this guards against (a database lookup for every
    unknown id, about a millisecond, against a cache hit of microseconds) is a hundredfold.
    Interleaving puts both under the same load, and medians ignore the odd pause (a cache expiry, GC).
    """
    app = create_app(gateway_settings(settings, rate_limits_enabled=False, auth_cache_ttl_s=60.0))
    async with serving(app) as http:
        tenant = await make_tenant(http)
        state: AppState = app.state.linkgate
        unknown = secrets.token_hex(12)  # shaped like a real client_id
        assert len(unknown) == len(tenant.client_id)
        wrong = secrets.token_urlsafe(32)
        timings: dict[str, list[float]] = {tenant.client_id: [], unknown: []}
        for attempt in range(WARM_UP + TRIES):
            for client_id in (tenant.client_id, unknown) if attempt % 2 else (unknown, tenant.client_id):
                elapsed = await refusal_s(state.auth, client_id, wrong)
                if attempt >= WARM_UP:
                    timings[client_id].append(elapsed)
        known_median = statistics.median(timings[tenant.client_id])
        unknown_median = statistics.median(timings[unknown])
        slower, faster = max(known_median, unknown_median), min(known_median, unknown_median)
        assert slower <= faster * 1.10, (
            f"known {known_median * 1e6:.1f} us, unknown {unknown_median * 1e6:.1f} us"
        )


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[object]:
    async with serving(create_app(gateway_settings(settings))) as client:
        yield client


class TestOversizedTokenRequests:
    async def test_a_declared_3_mib_body_is_413_in_the_oauth_shape(self, http) -> None:
        body = b"grant_type=client_credentials&client_id=x&client_secret=" + b"a" * THREE_MIB
        response = await http.post(
            "/oauth/token", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code == 413, response.text  # 400 before
        assert response.json()["error"] == "invalid_request"
        assert "limit" in response.json()["error_description"]

    async def test_a_streamed_3_mib_body_is_413_too(self, http) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"grant_type=client_credentials&client_secret="
            for _ in range(3 * 16):
                yield b"a" * (64 * 1024)

        response = await http.post(
            "/oauth/token", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code == 413, response.text
        assert response.json()["error"] == "invalid_request"

    async def test_json_bodies_too(self, http) -> None:
        body = b'{"grant_type": "client_credentials", "client_secret": "' + b"a" * THREE_MIB + b'"}'
        response = await http.post("/oauth/token", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert response.json()["error"] == "invalid_request"
