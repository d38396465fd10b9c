"""An in-process gateway on the real Postgres and Redis, and helpers that act as a developer would."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import Settings

PASSWORD = "correct horse battery staple"


def gateway_settings(settings: Settings, **overrides: Any) -> Settings:
    """Short auth caching (revocation tests wait it out) and no login limit unless a test sets one."""
    defaults = {"auth_cache_ttl_s": 1.0, "login_max_attempts_per_address": 1_000_000}
    return settings.model_copy(update=defaults | overrides)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(gateway_settings(settings))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


@dataclass
class Tenant:
    """A developer with one app and one API key, driven through the public API."""

    http: httpx.AsyncClient
    session: str
    app_id: str
    client_id: str
    client_secret: str

    @property
    def dashboard(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.session}"}

    async def token(self, **fields: str) -> str:
        response = await self.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": self.client_id,
                  "client_secret": self.client_secret, **fields},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    async def bearer(self, **fields: str) -> dict[str, str]:
        return {"authorization": f"Bearer {await self.token(**fields)}"}

    def basic(self, *parts: str) -> dict[str, str]:
        raw = ":".join((self.client_id, self.client_secret, *parts))
        return {"authorization": "Basic " + base64.b64encode(raw.encode()).decode()}

    async def new_key(self, name: str = "extra", scopes: list[str] | None = None) -> tuple[str, str]:
        body: dict[str, Any] = {"name": name} | ({"scopes": scopes} if scopes is not None else {})
        response = await self.http.post(
            f"/v1/dashboard/apps/{self.app_id}/keys", json=body, headers=self.dashboard
        )
        assert response.status_code == 201, response.text
        return response.json()["client_id"], response.json()["client_secret"]


async def sign_up(http: httpx.AsyncClient, email: str | None = None) -> str:
    email = email or f"dev-{uuid.uuid4().hex[:10]}@example.com"
    response = await http.post(
        "/v1/dashboard/signup", json={"email": email, "password": PASSWORD, "name": "Dev"}
    )
    assert response.status_code == 201, response.text
    login = await http.post("/v1/dashboard/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token: str = login.json()["token"]
    return token


async def make_tenant(http: httpx.AsyncClient, mode: str = "sandbox") -> Tenant:
    session = await sign_up(http)
    headers = {"authorization": f"Bearer {session}"}
    app = await http.post("/v1/dashboard/apps", json={"name": "App", "mode": mode}, headers=headers)
    assert app.status_code == 201, app.text
    app_id = app.json()["app_id"]
    key = await http.post(f"/v1/dashboard/apps/{app_id}/keys", json={"name": "server"}, headers=headers)
    assert key.status_code == 201, key.text
    return Tenant(http, session, app_id, key.json()["client_id"], key.json()["client_secret"])


async def sandbox_link(client: httpx.AsyncClient, tenant: Tenant, customer: str) -> str:
    """A link at Credentials Bank for `customer`, through MoneyKit's sandbox shortcut and token exchange."""
    headers = await tenant.bearer()
    body = {"institution_id": "credentials_bank", "customer_user": {"id": customer}}
    made = await client.post("/v1/moneykit/sandbox/exchangeable-token", json=body, headers=headers)
    assert made.status_code == 200, made.text
    exchanged = await client.post(
        "/v1/moneykit/link-session/exchange-token",
        json={"exchangeable_token": made.json()["exchangeable_token"]},
        headers=headers,
    )
    assert exchanged.status_code == 201, exchanged.text
    link_id: str = exchanged.json()["link_id"]
    return link_id


@pytest.fixture
async def tenant(client: httpx.AsyncClient) -> Tenant:
    return await make_tenant(client)


@pytest.fixture
async def other_tenant(client: httpx.AsyncClient) -> Tenant:
    return await make_tenant(client)


def error_without_request_id(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body
