"""An upstream's refresh budget: every refresh of a link counts, and an on-demand one past it is refused
with 429 and `Retry-After`, in the caller's wire format."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.crypto import SecretBox
from gateway.end_users.service import get_or_create_end_user
from gateway.institutions.catalog import get_institution
from gateway.links.access_tokens import issue_access_token
from gateway.links.service import link_service
from gateway.settings import Settings
from providers.base import Connected
from tests.integration.platform.conftest import Tenant, gateway_settings, make_tenant, sandbox_link

PER_DAY = 2


@pytest.fixture
async def frugal_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose SimpleFIN budget is two reads a day per link."""
    application: FastAPI = create_app(gateway_settings(settings, simplefin_requests_per_day=PER_DAY))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http


async def simplefin_link(database, settings: Settings, tenant: Tenant) -> tuple[str, str]:
    """A connected SimpleFIN link (its first refresh already asked for) and a Plaid access token to it."""
    async with database.unit_of_work() as session:
        institution = await get_institution(session, "simplefin_bridge")
        assert institution is not None
        user = await get_or_create_end_user(session, uuid.UUID(tenant.app_id), f"c-{uuid.uuid4().hex[:8]}")
        link = await link_service.create_connected(
            session, box=SecretBox(settings.master_key()), app_id=uuid.UUID(tenant.app_id),
            end_user_id=user.id, institution=institution,
            connection=Connected("sfin-test", {"access_url": "https://u:p@bridge.simplefin.org/simplefin"}),
            products=["transactions"],
        )  # fmt: skip
        token = await issue_access_token(session, link, prefix="access-sandbox-")
        return str(link.id), token


async def test_on_demand_refreshes_share_the_budget_with_the_first_one(
    frugal_client: httpx.AsyncClient, database, settings: Settings
) -> None:
    tenant = await make_tenant(frugal_client)
    link_id, access_token = await simplefin_link(database, settings, tenant)
    refresh = f"/v1/moneykit/links/{link_id}/products"
    body = {"products": ["transactions"]}
    first = await frugal_client.post(refresh, json=body, headers=await tenant.bearer())
    assert first.status_code == 202, first.text  # the initial refresh and this one: two of two

    refused = await frugal_client.post(refresh, json=body, headers=await tenant.bearer())
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 86_400
    assert refused.json()["error_code"] == "api_error.rate_limit_exceeded"

    plaid = await frugal_client.post(
        "/v1/plaid/transactions/refresh",
        json={"client_id": tenant.client_id, "secret": tenant.client_secret, "access_token": access_token},
    )
    assert plaid.status_code == 429
    assert int(plaid.headers["retry-after"]) > 0
    assert (plaid.json()["error_type"], plaid.json()["error_code"]) == ("RATE_LIMIT_EXCEEDED", "RATE_LIMIT")


async def test_a_sandbox_link_has_no_upstream_budget(client: httpx.AsyncClient, tenant: Tenant) -> None:
    link_id = await sandbox_link(client, tenant, uuid.uuid4().hex)
    refresh = f"/v1/moneykit/links/{link_id}/products"
    for _ in range(PER_DAY + 1):
        asked = await client.post(refresh, json={"products": ["accounts"]}, headers=await tenant.bearer())
        assert asked.status_code == 202, asked.text
