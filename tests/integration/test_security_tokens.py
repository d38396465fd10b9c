"""Tokens with claims we never mint are refused with 401, never accepted, never a 500 (issue 15, section 3).

Each token here is signed with the gateway's own key, so the claim under test is the only thing wrong.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.auth.tokens import TokenKind, dashboard_audience, token_type_header
from gateway.settings import Settings
from gateway.state import AppState
from tests.integration.platform.conftest import Tenant, gateway_settings, make_tenant
from tests.support.asgi import serving

# Where each kind is presented; /v1/developer/token admits every API kind.
ROUTES = {kind: "/v1/developer/token" for kind in (TokenKind.generic, TokenKind.user, TokenKind.item)}
ROUTES[TokenKind.dashboard] = "/v1/dashboard/apps"


@dataclass
class Gateway:
    app: FastAPI
    http: httpx.AsyncClient
    tenant: Tenant

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.linkgate
        return state

    def claims(self, kind: TokenKind) -> dict[str, Any]:
        """Claims exactly as the gateway mints them for `kind`."""
        settings, now = self.state.settings, int(time.time())
        claims: dict[str, Any] = {
            "iss": settings.base_url, "aud": settings.token_audience, "kind": kind.value,
            "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex,
            "sub": self.tenant.client_id, "app": self.tenant.app_id, "scope": "read",
        }  # fmt: skip
        if kind is TokenKind.user:
            claims |= {"user_field": "guid", "user": "USR-1", "organization": "default"}
        if kind is TokenKind.item:
            claims |= {"item": str(uuid.uuid4()), "organization": "default"}
        if kind is TokenKind.dashboard:
            for name in ("app", "scope"):
                claims.pop(name)
            claims |= {"aud": dashboard_audience(settings.token_audience), "sub": str(uuid.uuid4())}
        return claims

    def sign(self, kind: TokenKind, claims: dict[str, Any]) -> str:
        key = self.state.auth.ring.signing_key()
        headers = {"kid": key.kid, "typ": token_type_header(kind)}
        return jwt.encode(claims, key.private_key, algorithm="ES256", headers=headers)

    async def present(self, kind: TokenKind, claims: dict[str, Any]) -> httpx.Response:
        token = self.sign(kind, claims)
        return await self.http.get(ROUTES[kind], headers={"authorization": f"Bearer {token}"})


@pytest.fixture
async def gateway(settings: Settings) -> AsyncIterator[Gateway]:
    app = create_app(gateway_settings(settings))
    async with serving(app) as http:
        yield Gateway(app, http, await make_tenant(http))


def _now() -> int:
    return int(time.time())


# Each change to otherwise genuine claims, and why it is not something we mint: a function of the time
# the test runs, so a slow suite never turns one into a merely expired token.
BROKEN_TIMES: dict[str, Callable[[int], dict[str, Any]]] = {
    "exp a numeric string": lambda now: {"exp": str(now + 600)},
    "exp a float": lambda now: {"exp": now + 600.5},
    # (`"exp": true` is 1, refused as long expired, which it is: no type check needed there)
    "exp centuries away": lambda now: {"exp": now + 10**10},
    "exp longer than the kind lives": lambda now: {"exp": now + 31 * 86400},
    "iat a numeric string": lambda now: {"iat": str(now)},
    "iat a float": lambda now: {"iat": now - 0.5},
    "iat a bool": lambda now: {"iat": True},
    "iat before 2020": lambda now: {"iat": 1_000_000_000},
    "iat null": lambda now: {"iat": None},
}


@pytest.mark.parametrize("kind", list(ROUTES))
async def test_the_genuine_claims_pass(gateway: Gateway, kind: TokenKind) -> None:
    response = await gateway.present(kind, gateway.claims(kind))
    assert response.status_code == 200, response.text  # so each refusal below is the change's doing


@pytest.mark.parametrize("change", list(BROKEN_TIMES))
@pytest.mark.parametrize("kind", list(ROUTES))
async def test_iat_and_exp_must_be_integers_in_a_sane_range(
    gateway: Gateway, kind: TokenKind, change: str
) -> None:
    response = await gateway.present(kind, gateway.claims(kind) | BROKEN_TIMES[change](_now()))
    assert response.status_code == 401, response.text
    assert "expired" not in response.text.lower(), response.text  # refused for its form, not its age


@pytest.mark.parametrize(
    "subject",
    ["not-a-uuid", "", "{12345678-1234-5678-1234-567812345678}", "12345678123456781234567812345678"],
)
async def test_a_dashboard_session_whose_subject_is_not_a_developer_id_is_401(
    gateway: Gateway, subject: str
) -> None:
    response = await gateway.present(
        TokenKind.dashboard, gateway.claims(TokenKind.dashboard) | {"sub": subject}
    )
    assert response.status_code == 401, response.text  # a 500 before
    assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("kind", [TokenKind.generic, TokenKind.user, TokenKind.item])
async def test_an_api_token_whose_app_claim_is_not_an_app_id_is_401(
    gateway: Gateway, kind: TokenKind
) -> None:
    response = await gateway.present(kind, gateway.claims(kind) | {"app": "not-a-uuid"})
    assert response.status_code == 401, response.text
