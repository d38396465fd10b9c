"""Tenant isolation for every route that takes an id, the configuration routes, and user/item tokens."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from gateway.models import EndUser, Institution, Link
from gateway.models.developer import Organization
from tests.integration.platform.conftest import Tenant, error_without_request_id


class TestTenantIsolation:
    """Developer A touching developer B's objects gets exactly what a missing object gets."""

    @pytest.fixture
    async def b_objects(self, client, other_tenant: Tenant) -> dict[str, str]:
        org = await client.post(
            f"/v1/dashboard/apps/{other_tenant.app_id}/organizations",
            json={"id": "b-org", "name": "B"},
            headers=other_tenant.dashboard,
        )
        assert org.status_code == 201
        return {"app": other_tenant.app_id, "key": other_tenant.client_id, "org": "b-org"}

    def routes(self, a: Tenant, b: dict[str, str], missing: dict[str, str]):
        """(method, path with B's ids, the same path with missing ids, body)."""
        body_key, body_org = {"name": "k"}, {"id": "new-org", "name": "o"}
        return [
            ("GET", f"/v1/dashboard/apps/{b['app']}", f"/v1/dashboard/apps/{missing['app']}", None),
            ("GET", f"/v1/dashboard/apps/{b['app']}/keys", f"/v1/dashboard/apps/{missing['app']}/keys", None),
            ("POST", f"/v1/dashboard/apps/{b['app']}/keys",
             f"/v1/dashboard/apps/{missing['app']}/keys", body_key),
            ("DELETE", f"/v1/dashboard/apps/{b['app']}/keys/{b['key']}",
             f"/v1/dashboard/apps/{missing['app']}/keys/{missing['key']}", None),
            # B's key under A's own app:
            ("DELETE", f"/v1/dashboard/apps/{a.app_id}/keys/{b['key']}",
             f"/v1/dashboard/apps/{a.app_id}/keys/{missing['key']}", None),
            ("GET", f"/v1/dashboard/apps/{b['app']}/organizations",
             f"/v1/dashboard/apps/{missing['app']}/organizations", None),
            ("POST", f"/v1/dashboard/apps/{b['app']}/organizations",
             f"/v1/dashboard/apps/{missing['app']}/organizations", body_org),
            ("DELETE", f"/v1/dashboard/apps/{b['app']}/organizations/{b['org']}",
             f"/v1/dashboard/apps/{missing['app']}/organizations/{missing['org']}", None),
            # B's organization under A's own app:
            ("DELETE", f"/v1/dashboard/apps/{a.app_id}/organizations/{b['org']}",
             f"/v1/dashboard/apps/{a.app_id}/organizations/{missing['org']}", None),
        ]  # fmt: skip

    async def test_every_id_route(self, client, tenant: Tenant, other_tenant: Tenant, b_objects) -> None:
        missing = {"app": str(uuid.uuid4()), "key": "f" * 24, "org": "no-such-org"}
        for method, foreign, absent, body in self.routes(tenant, b_objects, missing):
            kwargs = {"headers": tenant.dashboard} | ({"json": body} if body is not None else {})
            got_foreign = await client.request(method, foreign, **kwargs)
            got_absent = await client.request(method, absent, **kwargs)
            assert got_foreign.status_code == 404, (method, foreign)
            assert error_without_request_id(got_foreign) == error_without_request_id(got_absent), (
                method,
                foreign,
            )
        # B's objects are untouched.
        keys = await client.get(
            f"/v1/dashboard/apps/{other_tenant.app_id}/keys", headers=other_tenant.dashboard
        )
        assert keys.json()["keys"][0]["revoked_at"] is None
        orgs = await client.get(
            f"/v1/dashboard/apps/{other_tenant.app_id}/organizations", headers=other_tenant.dashboard
        )
        assert [o["id"] for o in orgs.json()["organizations"]] == ["default", "b-org"]

    async def test_list_shows_only_own_apps(self, client, tenant: Tenant, other_tenant: Tenant) -> None:
        listed = (await client.get("/v1/dashboard/apps", headers=tenant.dashboard)).json()["apps"]
        assert [a["app_id"] for a in listed] == [tenant.app_id]

    async def test_tokens_cannot_name_another_apps_organization(
        self, client, tenant: Tenant, b_objects
    ) -> None:
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": tenant.client_id,
                  "client_secret": tenant.client_secret, "item_id": "x", "organization": b_objects["org"]},
        )  # fmt: skip
        assert response.status_code == 400

    async def test_user_and_item_tokens_see_only_their_own_app(
        self, client, database, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        b_user, b_link = await seed_user_and_link(database, other_tenant, guid="USR-shared")
        # The same guid in A's app does not exist: A's token answers {} exactly as for a missing user.
        a_user = await client.get("/v1/developer/user", headers=await tenant.bearer(guid="USR-shared"))
        assert (a_user.status_code, a_user.json()) == (200, {})
        a_item = await client.get("/v1/developer/item", headers=await tenant.bearer(item_id=b_link))
        assert (a_item.status_code, a_item.json()) == (200, {})
        own = await client.get("/v1/developer/item", headers=await other_tenant.bearer(item_id=b_link))
        assert own.json()["item"]["item_id"] == b_link


async def seed_user_and_link(database, tenant: Tenant, *, guid: str) -> tuple[str, str]:
    """Rows that issue 4's link flow will create; written directly because that flow does not exist yet."""
    async with database.unit_of_work() as session:
        if await session.get(Institution, "ins_isolation") is None:
            session.add(
                Institution(id="ins_isolation", provider="sandbox", provider_institution_id="iso", name="Iso")
            )
        user = EndUser(
            app_id=uuid.UUID(tenant.app_id), guid=guid, uid=f"uid-{guid}", external_id=f"ext-{guid}"
        )
        session.add(user)
        await session.flush()
        link = Link(
            app_id=user.app_id, end_user_id=user.id, institution_id="ins_isolation", provider="sandbox"
        )
        session.add(link)
        await session.flush()
        return str(user.id), str(link.id)


class TestUserAndItemTokens:
    async def test_existing_and_missing_users(self, client, database, tenant: Tenant) -> None:
        await seed_user_and_link(database, tenant, guid="USR-exists")
        found = await client.get("/v1/developer/user", headers=await tenant.bearer(guid="USR-exists"))
        assert found.status_code == 200
        assert found.json()["user"]["guid"] == "USR-exists"
        missing = await client.get("/v1/developer/user", headers=await tenant.bearer(guid="USR-nobody"))
        assert (missing.status_code, missing.json()) == (200, {})

    async def test_user_field_uid_and_id(self, client, database, tenant: Tenant) -> None:
        await seed_user_and_link(database, tenant, guid="USR-f")
        generic = await tenant.bearer()
        for field, value in (("uid", "uid-USR-f"), ("id", "ext-USR-f")):
            await client.patch("/v1/developer/configuration", json={"user_id_field": field}, headers=generic)
            found = await client.get("/v1/developer/user", headers=await tenant.bearer(**{field: value}))
            assert found.json()["user"]["guid"] == "USR-f", field

    async def test_items_by_organization(self, client, database, tenant: Tenant) -> None:
        _, link_id = await seed_user_and_link(database, tenant, guid="USR-item")
        found = await client.get("/v1/developer/item", headers=await tenant.bearer(item_id=link_id))
        assert found.json()["item"]["organization"] == "default"
        await client.post(
            f"/v1/dashboard/apps/{tenant.app_id}/organizations", json={"id": "acme", "name": "Acme"},
            headers=tenant.dashboard,
        )  # fmt: skip
        elsewhere = await client.get(
            "/v1/developer/item", headers=await tenant.bearer(item_id=link_id, organization="acme")
        )
        assert elsewhere.json() == {}
        async with database.unit_of_work() as session:
            acme = (
                await session.execute(
                    select(Organization).where(
                        Organization.app_id == uuid.UUID(tenant.app_id), Organization.key == "acme"
                    )
                )
            ).scalar_one()
            link = await session.get(Link, uuid.UUID(link_id))
            assert link is not None
            link.organization_id = acme.id
        in_acme = await client.get(
            "/v1/developer/item", headers=await tenant.bearer(item_id=link_id, organization="acme")
        )
        assert in_acme.json()["item"]["organization"] == "acme"
        not_default = await client.get("/v1/developer/item", headers=await tenant.bearer(item_id=link_id))
        assert not_default.json() == {}
        malformed = await client.get("/v1/developer/item", headers=await tenant.bearer(item_id="not-a-uuid"))
        assert malformed.json() == {}


class TestConfiguration:
    async def test_defaults_then_put_patch_post_delete(self, client, tenant: Tenant) -> None:
        headers = await tenant.bearer()
        current = await client.get("/v1/developer/configuration", headers=headers)
        assert current.json() == {
            "id": f"CFG-{tenant.app_id}", "name": "My developer configuration", "user_id_field": "guid",
            "webhook_format": "moneykit", "webhook_uri": None, "date_format": "ISO", "ip_allowlist": [],
        }  # fmt: skip
        put = await client.put(
            "/v1/developer/configuration",
            json={"name": "Prod", "webhook_format": "plaid", "webhook_uri": "https://hooks.example.com/x",
                  "date_format": "unix"},
            headers=headers,
        )  # fmt: skip
        assert put.status_code == 200
        assert (put.json()["webhook_format"], put.json()["date_format"]) == ("plaid", "unix")
        patched = await client.patch("/v1/developer/configuration", json={"name": "Renamed"}, headers=headers)
        assert (patched.json()["name"], patched.json()["webhook_format"]) == ("Renamed", "plaid")
        removed = await client.patch(
            "/v1/developer/configuration", json={"webhook_uri": None}, headers=headers
        )
        assert removed.json()["webhook_uri"] is None
        posted = await client.post(
            "/v1/developer/configuration", json={"webhook_format": "mx"}, headers=headers
        )
        assert (posted.status_code, posted.json()["name"]) == (201, "My developer configuration")
        assert (await client.delete("/v1/developer/configuration", headers=headers)).status_code == 204
        assert (await client.get("/v1/developer/configuration", headers=headers)).json() == current.json()

    @pytest.mark.parametrize(
        "body",
        [{"webhook_format": "teller"}, {"user_id_field": "email"}, {"date_format": "RFC"}, {"unknown": 1},
         {"ip_allowlist": "10.0.0.1"}, {"name": ""}],
    )  # fmt: skip
    async def test_bad_configuration_is_refused_and_changes_nothing(
        self, client, tenant: Tenant, body
    ) -> None:
        headers = await tenant.bearer()
        before = (await client.get("/v1/developer/configuration", headers=headers)).json()
        response = await client.patch("/v1/developer/configuration", json=body, headers=headers)
        assert response.status_code == 422
        assert (await client.get("/v1/developer/configuration", headers=headers)).json() == before


class TestWebhookConfiguration:
    async def test_set_and_shape(self, client, tenant: Tenant) -> None:
        headers = await tenant.bearer()
        response = await client.patch(
            "/v1/webhooks/configuration", json={"webhookUri": "http://127.0.0.1:9000/hooks"}, headers=headers
        )
        assert response.status_code == 201
        assert response.json() == {
            "name": "My developer configuration", "callbackUri": "http://127.0.0.1:9000/hooks",
            "aggregator": "moneykit",
        }  # fmt: skip
        config = await client.get("/v1/developer/configuration", headers=headers)
        assert config.json()["webhook_uri"] == "http://127.0.0.1:9000/hooks"

    @pytest.mark.parametrize(
        "uri",
        ["not a uri", "ftp://example.com/x", "http://user:pw@example.com/", "//example.com", "http://[::1/"],
    )
    async def test_malformed_uris_get_documentation(self, client, tenant: Tenant, uri: str) -> None:
        response = await client.patch(
            "/v1/webhooks/configuration", json={"webhookUri": uri}, headers=await tenant.bearer()
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_webhook_uri"
        assert error["documentation_url"].endswith("/docs#/webhooks/configure_webhook_uri")

    @pytest.mark.parametrize(
        "uri",
        ["http://93.184.216.34/hook", "https://127.0.0.1/hook", "https://10.0.0.5/hook", "https://169.254.169.254/x",
         "https://[::1]/x", "https://[::ffff:127.0.0.1]/x", "https://100.64.0.1/x", "https://no-such-host.invalid/x"],
    )  # fmt: skip
    async def test_live_apps_need_https_to_public_hosts(self, client, uri: str) -> None:
        from tests.integration.platform.conftest import make_tenant

        live = await make_tenant(client, mode="live")
        response = await client.patch(
            "/v1/webhooks/configuration", json={"webhookUri": uri}, headers=await live.bearer()
        )
        assert response.status_code == 400, uri

    async def test_live_app_public_https_is_accepted(self, client) -> None:
        from tests.integration.platform.conftest import make_tenant

        live = await make_tenant(client, mode="live")
        response = await client.patch(
            "/v1/webhooks/configuration",
            json={"webhookUri": "https://93.184.216.34/hook"},
            headers=await live.bearer(),
        )
        assert response.status_code == 201

    async def test_needs_a_generic_token_with_configure_scope(self, client, tenant: Tenant) -> None:
        body = {"webhookUri": "http://127.0.0.1:9000/hooks"}
        user = await client.patch(
            "/v1/webhooks/configuration", json=body, headers=await tenant.bearer(guid="u")
        )
        assert user.status_code == 403
        reader = await client.patch(
            "/v1/webhooks/configuration", json=body, headers=await tenant.bearer(scope="data:read")
        )
        assert reader.status_code == 403
        assert (await client.patch("/v1/webhooks/configuration", json=body)).status_code == 401
