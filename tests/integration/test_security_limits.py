"""Rate limits on credential checks and calls (issue 15, section 3), driven over HTTP.

Callers are told apart by `X-Forwarded-For` from a trusted proxy (127.0.0.1, the ASGI peer), each
test inventing its own documentation-range addresses, so tests never share a counter. Counting
windows are an hour long and a test starts at least `WINDOW_MARGIN_S` before one ends, so a window
never turns over halfway through a test.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from moneykit.models.api_error_rate_limit_exceeded_response import APIErrorRateLimitExceededResponse

from gateway.app import create_app
from gateway.auth.tokens import TokenKind, mint
from gateway.settings import Settings
from gateway.state import AppState
from tests.integration.platform.conftest import PASSWORD, Tenant, gateway_settings, make_tenant
from tests.support.asgi import serving

Client = httpx.AsyncClient
Headers = dict[str, str]

WINDOW_S = 3600
WINDOW_MARGIN_S = 10
MX_ACCEPT = {"accept": "application/vnd.mx.api.v1+json"}
YODLEE_VERSION = {"Api-Version": "1.1"}
INSTITUTIONS_GET = {"count": 1, "offset": 0, "country_codes": ["US"]}


_CALLERS = itertools.count(1)


def new_address() -> dict[str, str]:
    """Headers that make the next request come from a /64 (what an IPv6 caller is counted by) that no
    other request of this run has used."""
    n = next(_CALLERS)
    return {"x-forwarded-for": f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::1"}


def credentials(tenant: Tenant, secret: str | None = None) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": tenant.client_id,
            "client_secret": tenant.client_secret if secret is None else secret}  # fmt: skip


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def start_of_a_window() -> None:
    """Wait out the last seconds of a counting window (rarely: WINDOW_MARGIN_S in WINDOW_S)."""
    left = WINDOW_S - time.time() % WINDOW_S
    if left < WINDOW_MARGIN_S:
        await asyncio.sleep(left + 0.1)


def limited_app(settings: Settings, **limits: Any) -> FastAPI:
    overrides = {"trusted_proxies": ["127.0.0.1/32"], "rate_limit_window_s": WINDOW_S} | limits
    return create_app(gateway_settings(settings, **overrides))


@asynccontextmanager
async def limited(settings: Settings, **limits: Any) -> AsyncIterator[httpx.AsyncClient]:
    await start_of_a_window()
    async with serving(limited_app(settings, **limits)) as http:
        yield http


def assert_retry_after(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["retry-after"]) <= WINDOW_S


class TestFailedCredentialChecks:
    @pytest.mark.parametrize("embedded", [False, True], ids=["counted in redis", "counted in memory"])
    async def test_an_address_that_failed_too_often_gets_429_and_others_still_get_in(
        self, settings, embedded: bool
    ) -> None:
        without_redis = {"redis_url": None} if embedded else {}  # no Redis: the embedded mode's limiter
        async with limited(settings, rate_limit_failures_per_address=5, **without_redis) as http:
            tenant = await make_tenant(http)
            attacker = new_address()
            wrong = credentials(tenant, "wrong secret")
            statuses = [
                (await http.post("/oauth/token", data=wrong, headers=attacker)).status_code for _ in range(8)
            ]
            assert statuses == [401] * 5 + [429] * 3  # 2000 in a row all answered 401 before
            refused = await http.post("/oauth/token", data=wrong, headers=attacker)
            assert_retry_after(refused)
            assert refused.json()["error"] == "slow_down"
            right_from_attacker = await http.post("/oauth/token", data=credentials(tenant), headers=attacker)
            assert right_from_attacker.status_code == 429  # refused before any secret is checked

            right_elsewhere = await http.post("/oauth/token", data=credentials(tenant), headers=new_address())
            assert right_elsewhere.status_code == 200
            other = await make_tenant(http)
            other_elsewhere = await http.post("/oauth/token", data=credentials(other), headers=new_address())
            assert other_elsewhere.status_code == 200

    async def test_a_client_id_that_failed_too_often_refuses_only_addresses_that_failed(
        self, settings
    ) -> None:
        async with limited(settings, rate_limit_failures_per_client=3) as http:
            tenant = await make_tenant(http)
            wrong = credentials(tenant, "wrong secret")
            botnet = [new_address() for _ in range(3)]
            for address in botnet:
                assert (await http.post("/oauth/token", data=wrong, headers=address)).status_code == 401
            again = await http.post("/oauth/token", data=wrong, headers=botnet[0])
            assert_retry_after(again)
            right_from_bot = await http.post("/oauth/token", data=credentials(tenant), headers=botnet[0])
            assert right_from_bot.status_code == 429

            newcomer = new_address()  # has not failed: its secret is still checked, once
            assert (await http.post("/oauth/token", data=wrong, headers=newcomer)).status_code == 401
            assert (await http.post("/oauth/token", data=wrong, headers=newcomer)).status_code == 429
            own_server = new_address()  # the client's own servers never fail, and keep working
            assert (
                await http.post("/oauth/token", data=credentials(tenant), headers=own_server)
            ).status_code == 200
            other_id, other_secret = await tenant.new_key()
            other_key = {
                "grant_type": "client_credentials",
                "client_id": other_id,
                "client_secret": other_secret,
            }
            assert (await http.post("/oauth/token", data=other_key, headers=botnet[1])).status_code == 200

    async def test_expired_tokens_are_not_failed_checks(self, settings) -> None:
        """An app whose token just expired retries with it before it fetches a new one: not an attack."""
        app = limited_app(settings, rate_limit_failures_per_address=2)
        await start_of_a_window()
        async with serving(app) as http:
            tenant = await make_tenant(http)
            state: AppState = app.state.linkgate
            expired = mint(
                state.auth.ring, issuer=state.settings.base_url, audience=state.settings.token_audience,
                kind=TokenKind.generic, subject=tenant.client_id, lifetime_s=-60, app_id=tenant.app_id,
            )  # fmt: skip
            caller = new_address() | {"authorization": f"Bearer {expired}"}
            for _ in range(4):
                response = await http.get("/v1/developer/token", headers=caller)
                assert response.status_code == 401, response.text
                assert response.json()["error"]["code"] == "expired_token"
            fresh = await http.get("/v1/developer/token", headers=caller | await tenant.bearer())
            assert fresh.status_code == 200

    async def test_on_by_default(self, settings) -> None:
        default = Settings.model_fields["rate_limit_failures_per_address"].default
        async with limited(settings, rate_limit_failures_per_address=default) as http:
            tenant = await make_tenant(http)
            attacker, wrong = new_address(), credentials(tenant, "wrong secret")
            for _ in range(default):
                assert (await http.post("/oauth/token", data=wrong, headers=attacker)).status_code == 401
            assert_retry_after(await http.post("/oauth/token", data=wrong, headers=attacker))


FailingCall = Callable[[Client, Tenant, Headers], Awaitable[httpx.Response]]


async def plaid_body(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    body = {
        "client_id": tenant.client_id,
        "secret": "wrong",
        "count": 1,
        "offset": 0,
        "country_codes": ["US"],
    }
    return await http.post("/v1/plaid/institutions/get", json=body, headers=address)


async def plaid_headers(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    keys = {"plaid-client-id": tenant.client_id, "plaid-secret": "wrong"}
    return await http.post("/v1/plaid/institutions/get", json=INSTITUTIONS_GET, headers=address | keys)


async def mx_basic(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    return await http.get("/v1/mx/users", headers=address | MX_ACCEPT | basic(tenant.client_id, "wrong"))


async def yodlee_token(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    form = {"clientId": tenant.client_id, "secret": "wrong"}
    return await http.post("/v2/yodlee/auth/token", data=form, headers=address | YODLEE_VERSION)


async def yodlee_bearer(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    forged = {"authorization": "Bearer not.a.token"}
    return await http.get("/v2/yodlee/accounts", headers=address | YODLEE_VERSION | forged)


async def moneykit_token(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": "wrong"}
    return await http.post("/v1/moneykit/auth/token", data=form, headers=address)


async def moneykit_bearer(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    return await http.get("/v1/moneykit/links", headers=address | {"authorization": "Bearer not.a.token"})


async def developer_bearer(
    http: httpx.AsyncClient, tenant: Tenant, address: dict[str, str]
) -> httpx.Response:
    return await http.get("/v1/developer/token", headers=address | {"authorization": "Bearer not.a.token"})


async def developer_basic(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    return await http.get("/v1/developer/token", headers=address | basic(tenant.client_id, "wrong"))


async def dashboard_session(
    http: httpx.AsyncClient, tenant: Tenant, address: dict[str, str]
) -> httpx.Response:
    return await http.get("/v1/dashboard/apps", headers=address | {"authorization": "Bearer not.a.session"})


async def connect_session(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    made_up = {"link-session-token": secrets.token_urlsafe(24)}
    return await http.get("/connect/api/session", headers=address | made_up)


async def connect_page(http: Client, tenant: Tenant, address: Headers) -> httpx.Response:
    made_up = {"link_session_token": secrets.token_urlsafe(24)}
    return await http.get("/connect", params=made_up, headers=address)


def oauth_shape(body: dict[str, Any]) -> bool:
    return bool(body["error"] == "slow_down")


def plaid_shape(body: dict[str, Any]) -> bool:
    return bool(body["error_type"] == "RATE_LIMIT_EXCEEDED" and body["error_code"] == "RATE_LIMIT")


def mx_shape(body: dict[str, Any]) -> bool:
    return set(body) == {"error"} and set(body["error"]) == {"message"}


def yodlee_shape(body: dict[str, Any]) -> bool:
    return bool(body["errorCode"] == "Y400" and "referenceCode" in body)


def moneykit_shape(body: dict[str, Any]) -> bool:
    """The official client's model for a 429 accepts it (it validates `error_code`)."""
    return APIErrorRateLimitExceededResponse.from_dict(body) is not None


def platform_shape(body: dict[str, Any]) -> bool:
    return bool(body["error"]["code"] == "rate_limited" and body["error"]["status"] == 429)


CASES: dict[str, tuple[FailingCall, Callable[[dict[str, Any]], bool]]] = {
    "plaid body keys": (plaid_body, plaid_shape),
    "plaid header keys": (plaid_headers, plaid_shape),
    "mx basic": (mx_basic, mx_shape),
    "yodlee auth/token": (yodlee_token, yodlee_shape),
    "yodlee bearer": (yodlee_bearer, yodlee_shape),
    "moneykit auth/token": (moneykit_token, moneykit_shape),
    "moneykit bearer": (moneykit_bearer, moneykit_shape),
    "developer bearer": (developer_bearer, platform_shape),
    "developer basic": (developer_basic, platform_shape),
    "dashboard session": (dashboard_session, platform_shape),
    "connect link session": (connect_session, platform_shape),
    "connect page": (connect_page, platform_shape),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_every_credential_check_is_limited_in_its_collections_format(settings, case: str) -> None:
    call, shape = CASES[case]
    async with limited(settings, rate_limit_failures_per_address=2) as http:
        tenant = await make_tenant(http)
        attacker = new_address()
        failures = [(await call(http, tenant, attacker)).status_code for _ in range(2)]
        assert all(400 <= status < 500 and status != 429 for status in failures), failures
        refused = await call(http, tenant, attacker)
        assert_retry_after(refused)
        assert shape(refused.json()), refused.text
        elsewhere = await call(http, tenant, new_address())
        assert elsewhere.status_code != 429


class TestCallLimits:
    async def test_every_request_counts_against_its_address(self, settings) -> None:
        async with limited(settings, rate_limit_requests_per_address=3) as http:
            caller = new_address()
            statuses = [
                (await http.get("/.well-known/jwks.json", headers=caller)).status_code for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            plaid = await http.post("/v1/plaid/institutions/get", json={}, headers=caller)
            assert_retry_after(plaid)
            assert plaid_shape(plaid.json())
            assert (await http.get("/healthz", headers=caller)).status_code == 200  # probes are never limited
            assert (await http.get("/.well-known/jwks.json", headers=new_address())).status_code == 200

    async def test_authenticated_calls_count_against_their_client_id(self, settings) -> None:
        async with limited(settings, rate_limit_requests_per_client=4) as http:
            tenant = await make_tenant(http)
            token = {"authorization": f"Bearer {await tenant.token()}"}  # the first call of this client
            statuses = [
                (await http.get("/v1/developer/token", headers=new_address() | token)).status_code
                for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            assert_retry_after(await http.get("/v1/developer/token", headers=tenant.basic()))
            other = await make_tenant(http)
            assert (await http.get("/v1/developer/token", headers=other.basic())).status_code == 200

    async def test_signups_count_against_their_address(self, settings) -> None:
        async with limited(settings, rate_limit_signups_per_address=2) as http:
            caller = new_address()
            statuses = []
            for _ in range(3):
                body = {"email": f"s-{secrets.token_hex(4)}@example.com", "password": PASSWORD, "name": "S"}
                signup = await http.post("/v1/dashboard/signup", json=body, headers=caller)
                statuses.append(signup.status_code)
            assert statuses == [201, 201, 429]

    async def test_limits_can_be_turned_off(self, settings) -> None:
        async with limited(settings, rate_limits_enabled=False, rate_limit_failures_per_address=1) as http:
            tenant = await make_tenant(http)
            attacker = new_address()
            for _ in range(3):
                wrong = await http.post("/oauth/token", data=credentials(tenant, "wrong"), headers=attacker)
                assert wrong.status_code == 401
