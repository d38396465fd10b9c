"""`POST /v1/providers/{provider}/webhooks`: the adapter verifies; a verified webhook becomes a durable
refresh of each link it names, committed before the upstream hears 200; anything else changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from gateway.crypto import SecretBox
from gateway.end_users.service import get_or_create_end_user
from gateway.institutions.catalog import get_institution
from gateway.links.service import link_service
from gateway.models import RefreshJob
from gateway.state import AppState
from providers.base import Connected, InboundWebhook, WebhookRefused
from providers.registry import ProviderRegistry
from providers.sandbox.adapter import SandboxProvider
from tests.integration.platform.conftest import Tenant

SIGNING_KEY = b"upstream-signing-key"


class SigningProvider(SandboxProvider):
    """An upstream that signs its webhooks with an HMAC of the exact body (as many do)."""

    name = "signing"

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> InboundWebhook:
        expected = hmac.new(SIGNING_KEY, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("x-signature", ""), expected):
            raise WebhookRefused("bad signature")
        return InboundWebhook(provider_link_ids=tuple(json.loads(body)["items"]))


def signed(items: list[str]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"items": items}).encode()
    return body, {"x-signature": hmac.new(SIGNING_KEY, body, hashlib.sha256).hexdigest()}


async def link_on(database, settings, tenant: Tenant, connection: str) -> uuid.UUID:
    async with database.unit_of_work() as session:
        institution = await get_institution(session, "credentials_bank")
        assert institution is not None
        user = await get_or_create_end_user(session, uuid.UUID(tenant.app_id), f"c-{uuid.uuid4().hex[:8]}")
        link = await link_service.create_connected(
            session, box=SecretBox(settings.master_key()), app_id=uuid.UUID(tenant.app_id),
            end_user_id=user.id, institution=institution, connection=Connected(connection, {"seed": "x"}),
            products=["transactions"],
        )  # fmt: skip
        link.provider = "signing"
        return link.id


async def webhook_refreshes(database, link_id: uuid.UUID) -> int:
    async with database.unit_of_work() as session:
        jobs = select(RefreshJob).where(RefreshJob.link_id == link_id, RefreshJob.trigger == "webhook")
        return len((await session.execute(jobs)).scalars().all())


async def test_a_verified_webhook_refreshes_the_links_it_names_and_nothing_else(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, database, settings
) -> None:
    state: AppState = app.state.linkgate
    state.providers = ProviderRegistry({"sandbox": SandboxProvider(), "signing": SigningProvider()})
    connection = f"conn-{uuid.uuid4().hex[:8]}"
    named, elsewhere = (
        await link_on(database, settings, tenant, connection),
        await link_on(database, settings, other_tenant, f"conn-{uuid.uuid4().hex[:8]}"),
    )
    body, headers = signed([connection])

    forged = await client.post(
        "/v1/providers/signing/webhooks", content=body, headers={"x-signature": "0" * 64}
    )
    assert forged.status_code == 401
    tampered = await client.post("/v1/providers/signing/webhooks", content=body + b" ", headers=headers)
    assert tampered.status_code == 401
    assert await webhook_refreshes(database, named) == 0

    accepted = await client.post("/v1/providers/signing/webhooks", content=body, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"accepted": True}
    assert await webhook_refreshes(database, named) == 1  # committed before the 200
    assert await webhook_refreshes(database, elsewhere) == 0


async def test_providers_without_webhooks_and_unknown_ones_refuse(client: httpx.AsyncClient) -> None:
    body, headers = signed(["anything"])
    assert (
        await client.post("/v1/providers/simplefin/webhooks", content=body, headers=headers)
    ).status_code == 401
    assert (
        await client.post("/v1/providers/teller/webhooks", content=body, headers=headers)
    ).status_code == 404
