"""Apps' own provider settings: which providers an app offers its end users, and its own upstream keys
(sealed at rest, never returned), through `/v1/dashboard/apps/{app_id}/providers`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.crypto import SecretBox
from gateway.errors import InvalidRequest
from gateway.models.developer import App
from gateway.models.provider_setting import AppProviderSetting
from gateway.upstreams.configuration import provider_configuration
from providers.registry import ProviderRegistry
from providers.sandbox.adapter import SandboxProvider
from tests.integration.platform.conftest import Tenant


class KeyedProvider(SandboxProvider):
    """An upstream where an app may bring its own account (as Plaid will)."""

    name = "keyed"
    app_credential_keys: tuple[str, ...] = ("client_id", "secret")


class Connect:
    """Connect's JSON steps for one link session, as its page plays them."""

    def __init__(self, client: httpx.AsyncClient, token: str, csrf: str) -> None:
        self.client, self.headers = client, {"link-session-token": token, "x-csrf-token": csrf}

    @classmethod
    async def open(cls, client: httpx.AsyncClient, token: str) -> Connect:
        session = await client.get("/connect/api/session", headers={"link-session-token": token})
        assert session.status_code == 200, session.text
        return cls(client, token, session.json()["csrf_token"])

    async def institutions(self, query: str) -> set[str]:
        listed = await self.client.get(
            "/connect/api/institutions", params={"query": query}, headers=self.headers
        )
        assert listed.status_code == 200, listed.text
        return {institution["institution_id"] for institution in listed.json()["institutions"]}

    async def choose(self, institution_id: str, status: int = 200) -> dict[str, Any]:
        chosen = await self.client.post(
            "/connect/api/session/institution", json={"institution_id": institution_id}, headers=self.headers
        )
        assert chosen.status_code == status, chosen.text
        body: dict[str, Any] = chosen.json()
        return body


def providers_url(tenant: Tenant, provider: str = "") -> str:
    return f"/v1/dashboard/apps/{tenant.app_id}/providers" + (f"/{provider}" if provider else "")


async def statuses(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, dict[str, object]]:
    response = await client.get(providers_url(tenant), headers=tenant.dashboard)
    assert response.status_code == 200, response.text
    return {entry["provider"]: entry for entry in response.json()["providers"]}


async def connect_institutions(client: httpx.AsyncClient, tenant: Tenant) -> tuple[Connect, set[str]]:
    body = {"customer_user": {"id": uuid.uuid4().hex}}
    created = await client.post("/v1/moneykit/link-session", json=body, headers=await tenant.bearer())
    assert created.status_code == 201, created.text
    connect = await Connect.open(client, created.json()["link_session_token"])
    return connect, await connect.institutions("simplefin")


async def test_an_app_offers_every_configured_provider_until_it_says_otherwise(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    found = await statuses(client, tenant)
    assert set(found) == {"plaid", "sandbox", "simplefin"}
    assert found["simplefin"] == {
        "provider": "simplefin", "configured": True, "enabled": True, "app_credential_keys": [],
        "credentials_set": False, "overridden": False, "problem": None,
    }  # fmt: skip
    # Plaid takes keys, and the deployment set none: off until the app brings its own.
    assert found["plaid"] == {
        "provider": "plaid", "configured": True, "enabled": False,
        "app_credential_keys": ["client_id", "secret"], "credentials_set": False, "overridden": False,
        "problem": None,
    }  # fmt: skip
    connect, listed = await connect_institutions(client, tenant)
    assert listed == {"simplefin_bridge"}

    off = await client.put(
        providers_url(tenant, "simplefin"), json={"enabled": False}, headers=tenant.dashboard
    )
    assert off.status_code == 200, off.text
    assert (off.json()["enabled"], off.json()["overridden"]) == (False, True)
    _, listed = await connect_institutions(client, tenant)
    assert listed == set()
    refused = await connect.choose("simplefin_bridge", status=400)
    assert refused["error"]["message"] == "No such institution."

    reset = await client.delete(providers_url(tenant, "simplefin"), headers=tenant.dashboard)
    assert reset.status_code == 204
    assert (await statuses(client, tenant))["simplefin"]["overridden"] is False
    chosen = await connect.choose("simplefin_bridge")
    assert chosen["state"] == "institution_selected"


async def searched(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, list[str]]:
    """What each collection's institution search finds for "SimpleFIN"."""
    headers = await tenant.bearer()
    moneykit = await client.get("/v1/moneykit/institutions", params={"name": "SimpleFIN"}, headers=headers)
    plaid = await client.post("/v1/plaid/institutions/search", json={
        "client_id": tenant.client_id, "secret": tenant.client_secret, "query": "SimpleFIN",
        "country_codes": ["US"],
    })  # fmt: skip
    mx_headers = tenant.basic() | {"accept": "application/vnd.mx.api.v1+json"}
    mx = await client.get("/v1/mx/institutions", params={"name": "SimpleFIN"}, headers=mx_headers)
    yodlee = await client.get(
        "/v2/yodlee/providers", params={"name": "SimpleFIN"}, headers=headers | {"api-version": "1.1"}
    )
    for response in (moneykit, plaid, mx, yodlee):
        assert response.status_code == 200, response.text
    return {
        "moneykit": [i["name"] for i in moneykit.json()["institutions"]],
        "plaid": [i["name"] for i in plaid.json()["institutions"]],
        "mx": [i["name"] for i in mx.json()["institutions"]],
        "yodlee": [p["name"] for p in yodlee.json().get("provider", [])],
    }


async def test_every_collection_searches_only_what_the_app_offers(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bridge = ["SimpleFIN Bridge"]
    assert await searched(client, tenant) == {
        "moneykit": bridge,
        "plaid": bridge,
        "mx": bridge,
        "yodlee": bridge,
    }
    off = await client.put(
        providers_url(tenant, "simplefin"), json={"enabled": False}, headers=tenant.dashboard
    )
    assert off.status_code == 200, off.text
    assert await searched(client, tenant) == {"moneykit": [], "plaid": [], "mx": [], "yodlee": []}


async def test_bad_provider_settings_are_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    keys = {"enabled": True, "credentials": {"client_id": "x"}}
    no_keys = await client.put(providers_url(tenant, "simplefin"), json=keys, headers=tenant.dashboard)
    assert no_keys.status_code == 400
    assert "takes no keys" in no_keys.text
    typo = await client.put(
        providers_url(tenant, "simplefin"), json={"enable": False}, headers=tenant.dashboard
    )
    assert typo.status_code == 422
    unknown = await client.put(providers_url(tenant, "teller"), json={}, headers=tenant.dashboard)
    assert unknown.status_code == 404
    assert (await statuses(client, tenant))["simplefin"]["overridden"] is False  # nothing half-written


async def test_another_developers_app_answers_like_a_missing_one(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    missing = f"/v1/dashboard/apps/{uuid.uuid4()}/providers"
    for method, path in (("GET", ""), ("PUT", "/simplefin"), ("DELETE", "/simplefin")):
        body = {"enabled": False} if method == "PUT" else None
        theirs = await client.request(
            method, providers_url(other_tenant) + path, json=body, headers=tenant.dashboard
        )
        nobodys = await client.request(method, missing + path, json=body, headers=tenant.dashboard)
        assert (theirs.status_code, theirs.json()["error"]) == (nobodys.status_code, nobodys.json()["error"])
        assert theirs.status_code == 404
    assert (await statuses(client, other_tenant))["simplefin"]["enabled"] is True


async def test_an_apps_own_keys_are_sealed_and_never_returned(database, settings, tenant: Tenant) -> None:
    providers = ProviderRegistry({"sandbox": SandboxProvider(), "keyed": KeyedProvider()})
    box, app_id = SecretBox(settings.master_key()), uuid.UUID(tenant.app_id)
    secret = "sk-" + uuid.uuid4().hex
    async with database.unit_of_work() as session:
        assert await session.get(App, app_id) is not None
        status = await provider_configuration.update(
            session, box, app_id, providers, "keyed", enabled=True,
            credentials={"client_id": "cid", "secret": secret},
        )  # fmt: skip
        assert (status.credentials_set, status.app_credential_keys) == (True, ("client_id", "secret"))
        assert secret not in repr(status)
    async with database.unit_of_work() as session:
        mine = select(AppProviderSetting).where(AppProviderSetting.app_id == app_id)
        row = (await session.execute(mine)).scalars().one()
        assert row.credentials_encrypted is not None
        assert secret not in row.credentials_encrypted
        kept = await provider_configuration.update(
            session, box, app_id, providers, "keyed", enabled=False, credentials=None
        )
        assert (kept.enabled, kept.credentials_set) == (False, True)  # keys kept when none are sent
        forgotten = await provider_configuration.update(
            session, box, app_id, providers, "keyed", enabled=True, credentials={}
        )
        assert forgotten.credentials_set is False
        with pytest.raises(InvalidRequest, match="exactly these keys: client_id, secret"):
            await provider_configuration.update(
                session, box, app_id, providers, "keyed", enabled=True, credentials={"secret": "s"}
            )
