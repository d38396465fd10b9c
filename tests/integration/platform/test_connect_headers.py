"""Connect's security headers on every response, and its pages refusing sessions that cannot be used."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.collections.connect.headers import content_security_policy
from gateway.settings import Settings
from tests.integration.platform.conftest import Tenant, gateway_settings

SELF_ONLY = "frame-ancestors 'self'"


async def new_session_token(tenant: Tenant, institution_id: str = "credentials_bank") -> str:
    body = {"customer_user": {"id": uuid.uuid4().hex}, "institution_id": institution_id}
    response = await tenant.http.post("/v1/moneykit/link-session", json=body, headers=await tenant.bearer())
    assert response.is_success, response.text
    token: str = response.json()["link_session_token"]
    return token


def assert_locked_down(response: httpx.Response, frame_ancestors: str = SELF_ONLY) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'none'" in policy, (response.request.url, policy)
    assert policy.endswith(f"; {frame_ancestors}"), (response.request.url, policy)
    assert response.headers.get("x-content-type-options") == "nosniff", response.request.url
    assert response.headers.get("referrer-policy") == "no-referrer", response.request.url


async def test_every_connect_response_carries_the_security_headers(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await new_session_token(tenant)
    session = {"link-session-token": token}
    responses = [
        await client.get("/connect", params={"link_session_token": token}),
        await client.get("/connect/oauth/oauth_bank", params={"state": "forged"}),  # 404 page
        await client.get("/connect/callback/sandbox", params={"state": "forged"}),  # 404 page
        await client.get("/connect/assets/connect.js"),
        await client.get("/connect/assets/missing.js"),
        await client.get("/connect/api/session", headers=session),
        await client.get("/connect/api/session"),  # 401
        await client.post("/connect/api/session/institution", headers=session, json={}),  # 422
        await client.post("/connect/api/session/cancel", headers=session),  # 403: no CSRF token
        await client.get("/connect/nowhere"),  # 404 from the router
        await client.get("/connect", params={"link_session_token": "lst-unknown"}),
    ]
    assert {r.status_code for r in responses} == {200, 401, 403, 404, 422}
    for response in responses:
        assert_locked_down(response)
    assert "content-security-policy" not in (await client.get("/healthz")).headers


async def test_an_unknown_session_token_gets_a_404_page_that_says_so(client: httpx.AsyncClient) -> None:
    forged = "lst-<script>alert(1)</script>"
    for path, params in (
        ("/connect", {"link_session_token": forged}),
        ("/connect/oauth/oauth_bank", {"state": forged}),
        ("/connect/callback/sandbox", {"state": forged}),
    ):
        response = await client.get(path, params=params)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "This link has expired" in response.text
        assert "not valid" in response.text
        assert "<script>" not in response.text  # the token is never rendered back


async def test_a_used_session_token_gets_a_410_page_that_says_so(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await new_session_token(tenant, "oauth_bank")
    page = await client.get("/connect", params={"link_session_token": token})
    assert page.status_code == 200
    csrf = (await client.get("/connect/api/session", headers={"link-session-token": token})).json()
    headers = {"link-session-token": token, "x-csrf-token": csrf["csrf_token"]}
    begun = await client.post("/connect/api/session/handoff", headers=headers)
    assert begun.status_code == 200, begun.text
    bank = httpx.URL(begun.json()["handoff"]["url"])
    assert (await client.get(bank.path, params=bank.params)).status_code == 200
    cancelled = await client.post("/connect/api/session/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    for path, params in (
        ("/connect", {"link_session_token": token}),
        (bank.path, bank.params),
        ("/connect/callback/sandbox", {"state": bank.params["state"], "consent": "granted"}),
    ):
        response = await client.get(path, params=params)
        assert response.status_code == 410
        assert "This link has expired" in response.text
        assert "already used" in response.text
        assert token not in response.text


@pytest.fixture
async def embedding_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    ancestors = "'self', https://app.example.com, https://*.partner.example"
    configured = gateway_settings(settings).model_copy(
        update={"connect_frame_ancestors": Settings.model_validate(
            {"connect_frame_ancestors": ancestors}).connect_frame_ancestors}
    )  # fmt: skip
    application: FastAPI = create_app(configured)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http


async def test_apps_that_embed_connect_are_listed_in_frame_ancestors(
    embedding_client: httpx.AsyncClient,
) -> None:
    response = await embedding_client.get("/connect", params={"link_session_token": "lst-unknown"})
    assert_locked_down(response, "frame-ancestors 'self' https://app.example.com https://*.partner.example")


NOT_SOURCES = [
    "'self'; script-src *",
    "https://a.example https://b.example",
    "'unsafe-inline'",
    "'none', 'self'",
    "",
]


@pytest.mark.parametrize("value", NOT_SOURCES)
def test_frame_ancestors_must_be_source_expressions(value: str) -> None:
    with pytest.raises(ValueError, match="connect_frame_ancestors"):
        Settings.model_validate({"connect_frame_ancestors": value})


async def test_plaid_links_script_origin_may_run_scripts_and_frames_and_nothing_wider(
    client: httpx.AsyncClient,
) -> None:
    policy = (await client.get("/connect/assets/connect.js")).headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self' https://cdn.plaid.com"
    assert directives["frame-src"] == "https://cdn.plaid.com"
    assert directives["connect-src"] == "'self'"


def test_without_a_widget_connect_shows_no_frames() -> None:
    policy = content_security_policy(["'self'"])
    assert "script-src 'self';" in policy
    assert "frame-src 'none'" in policy
