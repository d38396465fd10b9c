"""The audit log: an entry for every dashboard and configuration action, in the action's transaction,
with secrets masked, read newest first at `GET /v1/dashboard/apps/{app_id}/audit`, on both dialects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from gateway.app import create_app
from gateway.db import Database
from gateway.developers.repository import audit_repository
from gateway.models.audit import AuditEntry
from gateway.settings import Settings
from tests.integration.platform.conftest import Tenant, error_without_request_id, gateway_settings

WEBHOOK_TOKEN = "hook-token-" + uuid.uuid4().hex
PLAID_SECRET = "plaid-secret-" + uuid.uuid4().hex


@pytest.fixture
def gateway(settings: Settings, database_url: str) -> Settings:
    """The gateway's settings on a fresh database of each dialect."""
    return gateway_settings(settings, database_url=database_url)


@pytest.fixture
async def app(gateway: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(gateway)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def database(gateway: Settings) -> AsyncIterator[Database]:
    db = Database.from_settings(gateway)
    yield db
    await db.dispose()


def audit_url(tenant: Tenant) -> str:
    return f"/v1/dashboard/apps/{tenant.app_id}/audit"


async def entries(tenant: Tenant, **params: int) -> list[dict[str, Any]]:
    response = await tenant.http.get(
        audit_url(tenant), params={"records_per_page": 1000} | params, headers=tenant.dashboard
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


async def stored_rows(database: Database) -> str:
    """Every audit row as the database holds it, as one text to search for secrets."""
    async with database.unit_of_work() as session:
        rows = (await session.execute(select(AuditEntry))).scalars().all()
    return "\n".join(repr(vars(row)) for row in rows)


class Actions:
    """Each audited action once, through the public API, each with a request id of its own."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant, self.http = tenant, tenant.http
        self.request_ids: list[str] = []
        self.secrets: list[str] = [tenant.client_secret, WEBHOOK_TOKEN, PLAID_SECRET]

    def headers(self, base: dict[str, str]) -> dict[str, str]:
        self.request_ids.append(f"audit-{len(self.request_ids)}-{uuid.uuid4().hex[:8]}")
        return base | {"x-request-id": self.request_ids[-1]}

    async def call(self, method: str, url: str, base: dict[str, str], status: int, **kw: Any) -> Any:
        response = await self.http.request(method, url, headers=self.headers(base), **kw)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    async def run(self) -> None:
        tenant, app = self.tenant, f"/v1/dashboard/apps/{self.tenant.app_id}"
        dashboard, token = tenant.dashboard, await tenant.bearer()
        key = await self.call(
            "POST", f"{app}/keys", dashboard, 201, json={"name": "ci", "scopes": ["data:read"]}
        )
        self.secrets.append(key["client_secret"])
        self.client_id = key["client_id"]
        await self.call("DELETE", f"{app}/keys/{key['client_id']}", dashboard, 204)
        await self.call("POST", f"{app}/organizations", dashboard, 201, json={"id": "acme", "name": "Acme"})
        await self.call("DELETE", f"{app}/organizations/acme", dashboard, 204)
        configuration = {"user_id_field": "uid", "webhook_uri": f"http://127.0.0.1:9/a?token={WEBHOOK_TOKEN}"}
        await self.call("PUT", "/v1/developer/configuration", token, 200, json=configuration)
        uri = {"webhookUri": "http://127.0.0.1:9/b"}
        await self.call("PATCH", "/v1/webhooks/configuration", token, 201, json=uri)
        await self.call("DELETE", "/v1/developer/configuration", token, 204)
        old = await self.call("GET", f"{app}/webhook-secret", dashboard, 200)
        new = await self.call("POST", f"{app}/webhook-secret/rotate", dashboard, 200)
        self.secrets += [old["secret"], new["secret"]]
        self.request_ids.remove(self.request_ids[-2])  # the GET is no action
        keys = {"client_id": "plaid-client", "secret": PLAID_SECRET}
        plaid = f"{app}/providers/plaid"
        await self.call("PUT", plaid, dashboard, 200, json={"enabled": True, "credentials": keys})
        await self.call("PUT", plaid, dashboard, 200, json={"enabled": False})
        await self.call("PUT", plaid, dashboard, 200, json={"enabled": True, "credentials": {}})
        await self.call("DELETE", plaid, dashboard, 204)


class TestEveryAction:
    async def test_each_action_has_one_entry_with_actor_app_request_id_and_what_changed(
        self, client: httpx.AsyncClient, tenant: Tenant, database: Database
    ) -> None:
        actions = Actions(tenant)
        await actions.run()
        found = await entries(tenant)
        assert [entry["action"] for entry in reversed(found)] == [
            "app.created", "key.created", "key.created", "key.revoked", "organization.created",
            "organization.deleted", "configuration.updated", "webhook_uri.changed", "configuration.reset",
            "webhook_secret.rotated", "provider_credentials.set", "provider.updated",
            "provider_credentials.removed", "provider.reset",
        ]  # fmt: skip
        newest_first = list(reversed(found))
        assert [entry["request_id"] for entry in newest_first[2:]] == actions.request_ids
        assert {entry["app_id"] for entry in found} == {tenant.app_id}
        by_action = {entry["action"]: entry for entry in newest_first[2:]}

        developer = newest_first[0]["actor"]
        assert developer["kind"] == "developer"
        assert developer["name"].endswith("@example.com")
        dashboard_actions = [
            e for e in found if not e["action"].startswith(("configuration.", "webhook_uri."))
        ]
        assert all(entry["actor"] == developer for entry in dashboard_actions)
        key_actor = {"kind": "api_key", "name": tenant.client_id}
        for action in ("configuration.updated", "webhook_uri.changed", "configuration.reset"):
            actor = by_action[action]["actor"]
            assert {"kind": actor["kind"], "name": actor["name"]} == key_actor, action

        assert newest_first[0]["changes"] == {
            "name": {"before": None, "after": "App"}, "mode": {"before": None, "after": "sandbox"}
        }  # fmt: skip
        created = by_action["key.created"]
        assert created["subject"] == actions.client_id
        assert created["changes"] == {
            "name": {"before": None, "after": "ci"}, "scopes": {"before": None, "after": ["data:read"]},
            "client_secret": {"before": None, "after": "***"},
        }  # fmt: skip
        revoked = by_action["key.revoked"]
        assert (revoked["subject"], revoked["changes"]["revoked_at"]["before"]) == (actions.client_id, None)
        assert revoked["changes"]["revoked_at"]["after"] is not None
        assert by_action["organization.created"]["organization"] == "acme"
        assert by_action["organization.created"]["changes"] == {"name": {"before": None, "after": "Acme"}}
        assert by_action["organization.deleted"]["changes"] == {"name": {"before": "Acme", "after": None}}
        assert by_action["configuration.updated"]["changes"] == {
            "user_id_field": {"before": "guid", "after": "uid"},
            "webhook_uri": {"before": None, "after": "http://127.0.0.1:9/a?token=***"},
        }
        assert by_action["webhook_uri.changed"]["changes"] == {
            "webhook_uri": {"before": "http://127.0.0.1:9/a?token=***", "after": "http://127.0.0.1:9/b"}
        }
        assert by_action["configuration.reset"]["changes"] == {
            "user_id_field": {"before": "uid", "after": "guid"},
            "webhook_uri": {"before": "http://127.0.0.1:9/b", "after": None},
        }
        assert by_action["webhook_secret.rotated"]["changes"] == {
            "webhook_secret": {"before": "***", "after": "***"}
        }
        assert by_action["provider_credentials.set"]["subject"] == "plaid"
        assert by_action["provider_credentials.set"]["changes"] == {
            "enabled": {"before": False, "after": True}, "overridden": {"before": False, "after": True},
            "credentials": {"before": None, "after": {"client_id": "***", "secret": "***"}},
        }  # fmt: skip
        assert by_action["provider.updated"]["changes"] == {"enabled": {"before": True, "after": False}}
        assert by_action["provider_credentials.removed"]["changes"] == {
            "enabled": {"before": False, "after": True}, "credentials": {"before": "***", "after": None}
        }  # fmt: skip
        assert by_action["provider.reset"]["changes"] == {
            "enabled": {"before": True, "after": False}, "overridden": {"before": True, "after": False}
        }  # fmt: skip

        listed = (await client.get(audit_url(tenant), headers=tenant.dashboard)).text
        stored = await stored_rows(database)
        for secret in actions.secrets:
            assert secret not in listed
            assert secret not in stored

    async def test_a_failed_action_leaves_no_entry(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        app, token = f"/v1/dashboard/apps/{tenant.app_id}", await tenant.bearer()
        await client.post(f"{app}/organizations", json={"id": "taken", "name": "T"}, headers=tenant.dashboard)
        before = await entries(tenant)
        failures = [
            ("POST", f"{app}/keys", tenant.dashboard, {"name": "x", "scopes": ["admin"]}, 422),
            ("DELETE", f"{app}/keys/nosuchkey", tenant.dashboard, None, 404),
            ("POST", f"{app}/organizations", tenant.dashboard, {"id": "taken", "name": "Again"}, 409),
            ("DELETE", f"{app}/organizations/default", tenant.dashboard, None, 409),
            ("DELETE", f"{app}/organizations/nosuch", tenant.dashboard, None, 404),
            ("PUT", f"{app}/providers/plaid", tenant.dashboard, {"credentials": {"client_id": "x"}}, 400),
            ("PUT", f"{app}/providers/nosuch", tenant.dashboard, {"enabled": True}, 404),
            ("DELETE", f"{app}/providers/nosuch", tenant.dashboard, None, 404),
            ("PATCH", "/v1/developer/configuration", token, {"ip_allowlist": ["not-an-ip"]}, 400),
            ("PATCH", "/v1/developer/configuration", token, {"webhook_uri": "http://127.1/x"}, 400),
            ("PUT", "/v1/developer/configuration", token, {"date_format": "julian"}, 422),
            ("PATCH", "/v1/webhooks/configuration", token, {"webhookUri": "ftp://x/y"}, 400),
            ("POST", "/v1/dashboard/apps", tenant.dashboard, {"name": "X", "mode": "prod"}, 422),
        ]
        for method, url, headers, body, status in failures:
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == status, (method, url, response.text)
        assert await entries(tenant) == before
        assert [entry["action"] for entry in before[:1]] == ["organization.created"]

    async def test_an_action_whose_entry_cannot_be_written_does_not_happen(
        self, client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def refuse(session: AsyncSession, entry: AuditEntry) -> None:
            await session.execute(text("SELECT 1"))
            raise RuntimeError("the audit log is unavailable")

        monkeypatch.setattr(audit_repository, "add", refuse)
        app = f"/v1/dashboard/apps/{tenant.app_id}"
        made = await client.post(
            f"{app}/organizations", json={"id": "ghost", "name": "G"}, headers=tenant.dashboard
        )
        assert made.status_code == 500
        monkeypatch.undo()
        listed = await client.get(f"{app}/organizations", headers=tenant.dashboard)
        assert [organization["id"] for organization in listed.json()["organizations"]] == ["default"]
        assert [entry["action"] for entry in await entries(tenant)] == ["key.created", "app.created"]


class TestReading:
    async def test_pages_newest_first(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        for n in range(3):
            await tenant.new_key(f"k{n}")
        everything = await entries(tenant)
        assert len(everything) == 5  # app.created, the fixture's key, three more keys
        first = await client.get(audit_url(tenant) + "?records_per_page=2", headers=tenant.dashboard)
        third = await client.get(audit_url(tenant) + "?records_per_page=2&page=3", headers=tenant.dashboard)
        assert first.json()["pagination"] == {
            "current_page": 1, "per_page": 2, "total_entries": 5, "total_pages": 3
        }  # fmt: skip
        assert first.json()["entries"] == everything[:2]
        assert third.json()["entries"] == everything[4:]
        assert everything[-1]["action"] == "app.created"
        times = [entry["occurred_at"] for entry in everything]
        assert times == sorted(times, reverse=True)
        beyond = await client.get(audit_url(tenant) + "?records_per_page=2&page=9", headers=tenant.dashboard)
        assert beyond.status_code == 200
        assert beyond.json()["entries"] == []

    async def test_bad_paging_is_a_422_naming_the_parameter(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        for query, field in (
            ("page=0", "page"), ("page=x", "page"), ("records_per_page=0", "records_per_page"),
            ("records_per_page=1001", "records_per_page"), ("page=-1", "page"),
        ):  # fmt: skip
            response = await client.get(f"{audit_url(tenant)}?{query}", headers=tenant.dashboard)
            assert response.status_code == 422, query
            assert response.json()["error"]["details"][0]["field"] == field, query

    async def test_needs_a_dashboard_session(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        assert (await client.get(audit_url(tenant))).status_code == 401
        assert (await client.get(audit_url(tenant), headers=await tenant.bearer())).status_code == 401

    async def test_another_developers_app_answers_like_a_missing_one(
        self, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        foreign = await client.get(audit_url(tenant), headers=other_tenant.dashboard)
        missing = await client.get(f"/v1/dashboard/apps/{uuid.uuid4()}/audit", headers=other_tenant.dashboard)
        malformed = await client.get("/v1/dashboard/apps/not-an-id/audit", headers=other_tenant.dashboard)
        assert foreign.status_code == 404
        assert error_without_request_id(foreign) == error_without_request_id(missing)
        assert error_without_request_id(foreign) == error_without_request_id(malformed)
        own = await entries(other_tenant)
        assert {entry["app_id"] for entry in own} == {other_tenant.app_id}
        assert tenant.client_id not in str(own)


class TestAppendOnly:
    async def test_the_database_refuses_to_update_or_delete_an_entry(
        self, tenant: Tenant, database: Database
    ) -> None:
        app_id = uuid.UUID(tenant.app_id)
        statements: list[Executable] = [
            update(AuditEntry).where(AuditEntry.app_id == app_id).values(actor_name="someone else"),
            delete(AuditEntry).where(AuditEntry.app_id == app_id),
        ]
        if database.engine.dialect.name == "postgresql":
            statements.append(text("TRUNCATE audit_entries"))
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"):
                async with database.unit_of_work() as session:
                    await session.execute(statement)
        assert [entry["action"] for entry in await entries(tenant)] == ["key.created", "app.created"]
