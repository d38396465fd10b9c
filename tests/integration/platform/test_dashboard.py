"""`/v1/dashboard`: accounts, sessions, apps, keys and organizations, including every bad case."""

from __future__ import annotations

import asyncio
import base64
import uuid

from fastapi import FastAPI
from sqlalchemy import select

from gateway.app import create_app
from gateway.models import Developer
from tests.integration.platform.conftest import PASSWORD, Tenant, gateway_settings, make_tenant, sign_up
from tests.support.asgi import serving


class TestAccounts:
    async def test_signup_returns_the_account_and_stores_an_argon2id_hash(self, client, database) -> None:
        email = f"Ada-{uuid.uuid4().hex[:6]}@Example.com"
        response = await client.post(
            "/v1/dashboard/signup", json={"email": email, "password": PASSWORD, "name": "Ada"}
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"developer_id", "email", "name"}
        assert body["email"] == email.lower()
        async with database.unit_of_work() as session:
            row = (
                await session.execute(select(Developer).where(Developer.email == email.lower()))
            ).scalar_one()
        assert row.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in row.password_hash

    async def test_duplicate_email_is_a_conflict(self, client) -> None:
        email = f"dup-{uuid.uuid4().hex[:6]}@example.com"
        body = {"email": email, "password": PASSWORD, "name": "A"}
        assert (await client.post("/v1/dashboard/signup", json=body)).status_code == 201
        again = await client.post("/v1/dashboard/signup", json=body | {"email": email.upper()})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "conflict"

    async def test_bad_signups_name_the_field(self, client) -> None:
        cases = {
            "email": {"email": "not-an-email", "password": PASSWORD, "name": "A"},
            "password": {"email": "a@example.com", "password": "short", "name": "A"},
            "name": {"email": "a@example.com", "password": PASSWORD, "name": ""},
            "extra": {"email": "a@example.com", "password": PASSWORD, "name": "A", "extra": 1},
        }
        for field, body in cases.items():
            response = await client.post("/v1/dashboard/signup", json=body)
            assert response.status_code == 422, field
            assert response.json()["error"]["details"][0]["field"] == field

    async def test_login_gives_a_dashboard_session(self, client) -> None:
        email = f"l-{uuid.uuid4().hex[:6]}@example.com"
        await client.post("/v1/dashboard/signup", json={"email": email, "password": PASSWORD, "name": "L"})
        response = await client.post("/v1/dashboard/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert body["type"] == "Bearer"
        assert body["expires_in"] == 12 * 3600
        assert response.headers["cache-control"] == "no-store"

    async def test_wrong_password_and_unknown_email_look_the_same(self, client) -> None:
        email = f"w-{uuid.uuid4().hex[:6]}@example.com"
        await client.post("/v1/dashboard/signup", json={"email": email, "password": PASSWORD, "name": "W"})
        wrong = await client.post("/v1/dashboard/login", json={"email": email, "password": PASSWORD + "x"})
        unknown = await client.post(
            "/v1/dashboard/login", json={"email": "nobody@example.com", "password": PASSWORD}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["error"] == unknown.json()["error"]

    async def test_session_is_only_for_the_dashboard(self, client, tenant: Tenant) -> None:
        response = await client.get("/v1/developer/token", headers=tenant.dashboard)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"
        api_token = await tenant.bearer()
        assert (await client.get("/v1/dashboard/apps", headers=api_token)).status_code == 401
        assert (await client.get("/v1/dashboard/apps")).status_code == 401


class TestLoginRateLimits:
    async def test_per_email_then_per_address(self, settings, redis_client) -> None:
        redis_client.flushdb()
        limited = create_app(
            gateway_settings(settings, login_max_attempts_per_email=3, login_max_attempts_per_address=6)
        )
        async with serving(limited) as http:
            email = f"rl-{uuid.uuid4().hex[:6]}@example.com"
            await http.post("/v1/dashboard/signup", json={"email": email, "password": PASSWORD, "name": "R"})
            attempt = {"email": email, "password": "wrong password!"}
            statuses = [(await http.post("/v1/dashboard/login", json=attempt)).status_code for _ in range(4)]
            assert statuses == [401, 401, 401, 429]
            blocked = await http.post("/v1/dashboard/login", json={"email": email, "password": PASSWORD})
            assert blocked.status_code == 429  # even the right password waits out the window
            assert 0 < int(blocked.headers["retry-after"]) <= 900
            others = [
                (
                    await http.post("/v1/dashboard/login", json={"email": f"x{n}@e.io", "password": "p"})
                ).status_code
                for n in range(2)
            ]
            assert others == [401, 429]  # the address has now made 7 attempts, over its 6


class TestApps:
    async def test_create_list_paginate_get(self, client, tenant: Tenant) -> None:
        for name in ("Second", "Third"):
            response = await client.post(
                "/v1/dashboard/apps", json={"name": name, "mode": "live"}, headers=tenant.dashboard
            )
            assert response.status_code == 201
            assert set(response.json()) == {"app_id", "name", "mode", "created_at"}
        first = await client.get("/v1/dashboard/apps?records_per_page=2", headers=tenant.dashboard)
        second = await client.get("/v1/dashboard/apps?records_per_page=2&page=2", headers=tenant.dashboard)
        assert first.json()["pagination"] == {
            "current_page": 1,
            "per_page": 2,
            "total_entries": 3,
            "total_pages": 2,
        }
        assert [a["name"] for a in first.json()["apps"]] == ["App", "Second"]
        assert [a["name"] for a in second.json()["apps"]] == ["Third"]
        one = await client.get(f"/v1/dashboard/apps/{tenant.app_id}", headers=tenant.dashboard)
        assert one.json()["mode"] == "sandbox"

    async def test_bad_mode_pagination_and_no_way_to_change_mode(self, client, tenant: Tenant) -> None:
        bad = await client.post(
            "/v1/dashboard/apps", json={"name": "X", "mode": "prod"}, headers=tenant.dashboard
        )
        assert bad.status_code == 422
        assert (
            await client.get("/v1/dashboard/apps?records_per_page=0", headers=tenant.dashboard)
        ).status_code == 422
        patch = await client.patch(
            f"/v1/dashboard/apps/{tenant.app_id}", json={"mode": "live"}, headers=tenant.dashboard
        )
        assert patch.status_code == 405

    async def test_malformed_and_missing_app_ids_are_404(self, client, tenant: Tenant) -> None:
        for app_id in ("not-a-uuid", str(uuid.uuid4())):
            response = await client.get(f"/v1/dashboard/apps/{app_id}", headers=tenant.dashboard)
            assert response.status_code == 404
            assert response.json()["error"]["message"] == "No such app."


class TestKeys:
    async def test_secret_shown_once_listed_never_and_several_live_keys(self, client, tenant: Tenant) -> None:
        second_id, second_secret = await tenant.new_key("rotation")
        assert len(second_secret) >= 43
        listed = await client.get(f"/v1/dashboard/apps/{tenant.app_id}/keys", headers=tenant.dashboard)
        keys = listed.json()["keys"]
        assert [k["client_id"] for k in keys] == [tenant.client_id, second_id]
        assert all("client_secret" not in k and "secret_hash" not in k for k in keys)
        assert second_secret not in listed.text
        await tenant.token()
        tenant_two = Tenant(client, tenant.session, tenant.app_id, second_id, second_secret)
        await tenant_two.token()

    async def test_scopes_are_validated_and_recorded(self, client, tenant: Tenant) -> None:
        bad = await client.post(
            f"/v1/dashboard/apps/{tenant.app_id}/keys",
            json={"name": "x", "scopes": ["admin"]},
            headers=tenant.dashboard,
        )
        assert bad.status_code == 422
        client_id, _ = await tenant.new_key("reader", ["data:read"])
        listed = (
            await client.get(f"/v1/dashboard/apps/{tenant.app_id}/keys", headers=tenant.dashboard)
        ).json()
        assert next(k for k in listed["keys"] if k["client_id"] == client_id)["scopes"] == ["data:read"]

    async def test_revocation_stops_the_key_and_its_tokens(self, client, tenant: Tenant) -> None:
        token = await tenant.bearer()
        assert (await client.get("/v1/developer/token", headers=token)).status_code == 200
        revoke = await client.delete(
            f"/v1/dashboard/apps/{tenant.app_id}/keys/{tenant.client_id}", headers=tenant.dashboard
        )
        assert revoke.status_code == 204
        await asyncio.sleep(1.1)  # LINKGATE_AUTH_CACHE_TTL_S is 1 s here (30 s by default)
        refused = await client.get("/v1/developer/token", headers=token)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_token"
        assert (await client.get("/v1/developer/token", headers=tenant.basic())).status_code == 401
        reissue = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": tenant.client_id,
                  "client_secret": tenant.client_secret},
        )  # fmt: skip
        assert reissue.status_code == 401
        again = await client.delete(
            f"/v1/dashboard/apps/{tenant.app_id}/keys/{tenant.client_id}", headers=tenant.dashboard
        )
        assert again.status_code == 404
        listed = (
            await client.get(f"/v1/dashboard/apps/{tenant.app_id}/keys", headers=tenant.dashboard)
        ).json()
        assert listed["keys"][0]["revoked_at"] is not None


class TestOrganizations:
    async def test_default_exists_create_list_delete(self, client, tenant: Tenant) -> None:
        base = f"/v1/dashboard/apps/{tenant.app_id}/organizations"
        created = await client.post(base, json={"id": "acme-cu", "name": "Acme CU"}, headers=tenant.dashboard)
        assert created.status_code == 201
        assert created.json()["id"] == "acme-cu"
        generated = await client.post(base, json={"name": "Other"}, headers=tenant.dashboard)
        assert generated.json()["id"].startswith("org_")
        listed = (await client.get(base, headers=tenant.dashboard)).json()["organizations"]
        assert [o["id"] for o in listed][:2] == ["default", "acme-cu"]
        duplicate = await client.post(base, json={"id": "acme-cu", "name": "Again"}, headers=tenant.dashboard)
        assert duplicate.status_code == 409
        assert (await client.delete(f"{base}/default", headers=tenant.dashboard)).status_code == 409
        assert (await client.delete(f"{base}/acme-cu", headers=tenant.dashboard)).status_code == 204
        assert (await client.delete(f"{base}/acme-cu", headers=tenant.dashboard)).status_code == 404
        bad = await client.post(base, json={"id": "Bad Id!", "name": "x"}, headers=tenant.dashboard)
        assert bad.status_code == 422


async def test_two_developers_signing_up_concurrently(app: FastAPI, client) -> None:
    sessions = await asyncio.gather(*(sign_up(client) for _ in range(3)))
    assert len(set(sessions)) == 3
    tenants = await asyncio.gather(*(make_tenant(client) for _ in range(2)))
    assert tenants[0].app_id != tenants[1].app_id


class TestUnstorableText:
    """Postgres cannot store NUL characters; input carrying them is refused, never a server error."""

    async def test_nul_and_surrogates_in_bodies_paths_and_credentials(self, client, tenant: Tenant) -> None:
        nul_email = await client.post(
            "/v1/dashboard/signup", json={"email": "a\u0000b@example.com", "password": PASSWORD, "name": "N"}
        )
        assert nul_email.status_code == 422
        surrogate = await client.post(
            "/v1/dashboard/signup",
            content=b'{"email": "s@example.com", "password": "correct horse battery", "name": "\\ud800"}',
            headers={"content-type": "application/json"},
        )
        assert surrogate.status_code == 422
        nul_login = await client.post("/v1/dashboard/login", json={"email": "\u0000", "password": "x"})
        assert nul_login.status_code == 422
        path = await client.delete(
            f"/v1/dashboard/apps/{tenant.app_id}/keys/%00abc", headers=tenant.dashboard
        )
        assert path.status_code == 404
        token = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "a\u0000", "client_secret": "x"},
        )
        assert token.status_code == 400
        basic = await client.get(
            "/v1/developer/token", headers={"authorization": "Basic " + base64.b64encode(b"a\x00:b").decode()}
        )
        assert basic.status_code == 401
