"""`POST /oauth/token` and what the tokens it issues may and may not do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from gateway.app import create_app
from gateway.auth.tokens import TokenKind, mint
from gateway.state import AppState
from tests.integration.platform.conftest import Tenant, gateway_settings
from tests.support.asgi import serving


def form(tenant: Tenant, **fields: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": tenant.client_id,
            "client_secret": tenant.client_secret} | fields  # fmt: skip


async def jwks_key(client, kid: str):
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    return jwt.PyJWK(next(k for k in keys if k["kid"] == kid)).key


class TestIssuance:
    @pytest.mark.parametrize(
        ("fields", "kind", "lifetime"),
        [({}, "generic", 3600), ({"guid": "USR-1"}, "user", 10800), ({"item_id": "itm-1"}, "item", 86400)],
    )
    async def test_each_kind_with_its_lifetime_and_claims(
        self, client, tenant: Tenant, fields, kind, lifetime
    ) -> None:
        response = await client.post("/oauth/token", data=form(tenant, **fields))
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"
        body = response.json()
        assert body["token"] == body["access_token"]
        assert (body["type"], body["token_type"], body["expires_in"]) == ("Bearer", "Bearer", lifetime)
        header = jwt.get_unverified_header(body["token"])
        assert header["alg"] == "ES256"
        assert header["typ"] == f"lg-{kind}+jwt"
        claims = jwt.decode(
            body["token"], await jwks_key(client, header["kid"]), algorithms=["ES256"], audience="linkgate"
        )
        assert claims["kind"] == kind
        assert claims["sub"] == tenant.client_id
        assert claims["app"] == tenant.app_id
        assert claims["exp"] - claims["iat"] == lifetime
        assert {"iss", "jti", "scope"} <= set(claims)
        if kind == "user":
            assert (claims["user"], claims["user_field"], claims["organization"]) == (
                "USR-1",
                "guid",
                "default",
            )
        if kind == "item":
            assert (claims["item"], claims["organization"]) == ("itm-1", "default")

    async def test_json_body_and_basic_header_work_too(self, client, tenant: Tenant) -> None:
        as_json = await client.post("/oauth/token", json=form(tenant))
        assert as_json.status_code == 200
        basic = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=tenant.basic()
        )
        assert basic.status_code == 200

    async def test_user_id_field_follows_the_configuration(self, client, tenant: Tenant) -> None:
        generic = await tenant.bearer()
        wrong = await client.post("/oauth/token", data=form(tenant, uid="u-1"))
        assert wrong.status_code == 400
        assert "identifies users by 'guid'" in wrong.json()["error_description"]
        await client.patch("/v1/developer/configuration", json={"user_id_field": "uid"}, headers=generic)
        by_uid = await client.post("/oauth/token", data=form(tenant, uid="u-1"))
        alias = await client.post("/oauth/token", data=form(tenant, user_id="u-2"))
        assert by_uid.status_code == alias.status_code == 200
        info = await client.get(
            "/v1/developer/token", headers={"authorization": "Bearer " + alias.json()["token"]}
        )
        assert (info.json()["user_id_field"], info.json()["user"]) == ("uid", "u-2")

    async def test_scope_can_be_narrowed_not_widened(self, client, tenant: Tenant) -> None:
        narrowed = await client.post("/oauth/token", data=form(tenant, scope="data:read"))
        assert narrowed.json()["scope"] == "data:read"
        reader_id, reader_secret = await tenant.new_key("reader", ["data:read"])
        widened = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": reader_id, "client_secret": reader_secret,
                  "scope": "configure"},
        )  # fmt: skip
        assert widened.status_code == 400
        assert widened.json()["error"] == "invalid_scope"

    async def test_organizations_must_be_visible_to_the_app(self, client, tenant: Tenant) -> None:
        unknown = await client.post("/oauth/token", data=form(tenant, item_id="i", organization="acme"))
        assert unknown.status_code == 400
        await client.post(
            f"/v1/dashboard/apps/{tenant.app_id}/organizations", json={"id": "acme", "name": "Acme"},
            headers=tenant.dashboard,
        )  # fmt: skip
        known = await client.post("/oauth/token", data=form(tenant, item_id="i", organization="acme"))
        assert known.status_code == 200


class TestTokenErrors:
    @pytest.mark.parametrize(
        ("change", "status", "error"),
        [
            ({"grant_type": ""}, 400, "invalid_request"),
            ({"grant_type": "password"}, 400, "unsupported_grant_type"),
            ({"client_secret": "wrong"}, 401, "invalid_client"),
            ({"client_id": "0" * 24}, 401, "invalid_client"),
            ({"client_secret": ""}, 400, "invalid_request"),
            ({"audience": "https://link-money-api/"}, 400, "invalid_request"),
            ({"guid": "u", "item_id": "i"}, 400, "invalid_request"),
            ({"organization": "default"}, 400, "invalid_request"),
            ({"guid": "x" * 300}, 400, "invalid_request"),
        ],
    )
    async def test_rfc6749_errors(self, client, tenant: Tenant, change, status, error) -> None:
        response = await client.post("/oauth/token", data=form(tenant, **change))
        assert response.status_code == status
        body = response.json()
        assert body["error"] == error
        assert body["error_description"]
        assert response.headers["cache-control"] == "no-store"
        assert "www-authenticate" not in response.headers  # only when Basic was used

    async def test_bad_basic_credentials_get_a_challenge(self, client, tenant: Tenant) -> None:
        wrong = base64.b64encode(f"{tenant.client_id}:nope".encode()).decode()
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"authorization": f"Basic {wrong}"},
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"] == 'Basic realm="linkgate"'

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [(b'{"grant_type": ', "application/json"), (b"[1, 2]", "application/json"), (b"x", "text/plain")],
    )
    async def test_malformed_bodies(self, client, content, content_type) -> None:
        response = await client.post("/oauth/token", content=content, headers={"content-type": content_type})
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_credentials_twice_is_ambiguous(self, client, tenant: Tenant) -> None:
        response = await client.post("/oauth/token", data=form(tenant), headers=tenant.basic())
        assert response.status_code == 400


class TestJwtNegatives:
    """Each forged or misused token is refused with 401 (or 403 for a valid token of the wrong kind)."""

    async def claims_and_key(self, client, tenant: Tenant):
        token = await tenant.token()
        header = jwt.get_unverified_header(token)
        return token, jwt.decode(token, options={"verify_signature": False}), header["kid"]

    async def assert_refused(self, client, token: str, code: str = "invalid_token") -> None:
        response = await client.get("/v1/developer/token", headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == code

    async def test_alg_none(self, client, tenant: Tenant) -> None:
        _, claims, kid = await self.claims_and_key(client, tenant)
        unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": kid, "typ": "lg-generic+jwt"})
        await self.assert_refused(client, unsigned)

    async def test_hs256_signed_with_the_public_key(self, client, tenant: Tenant) -> None:
        _, claims, kid = await self.claims_and_key(client, tenant)
        public_pem = (await jwks_key(client, kid)).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

        def b64(data: bytes) -> bytes:
            return base64.urlsafe_b64encode(data).rstrip(b"=")

        signing_input = (
            b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "lg-generic+jwt"}).encode())
            + b"."
            + b64(json.dumps(claims).encode())
        )
        forged = signing_input + b"." + b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
        await self.assert_refused(client, forged.decode())

    async def test_signed_by_a_stranger_with_our_kid(self, client, tenant: Tenant) -> None:
        _, claims, kid = await self.claims_and_key(client, tenant)
        stranger = ec.generate_private_key(ec.SECP256R1())
        forged = jwt.encode(
            claims, stranger, algorithm="ES256", headers={"kid": kid, "typ": "lg-generic+jwt"}
        )
        await self.assert_refused(client, forged)

    async def test_unknown_kid(self, client, tenant: Tenant, app) -> None:
        _, claims, _ = await self.claims_and_key(client, tenant)
        key = get_app_state_key(app)
        forged = jwt.encode(
            claims, key, algorithm="ES256", headers={"kid": "lg-0000000000000000", "typ": "lg-generic+jwt"}
        )
        await self.assert_refused(client, forged)

    async def test_tampered_payload(self, client, tenant: Tenant) -> None:
        token = await tenant.token()
        head, payload, signature = token.split(".")
        claims = jwt.decode(token, options={"verify_signature": False}) | {"app": str(uuid.uuid4())}
        tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        await self.assert_refused(client, f"{head}.{tampered}.{signature}")

    @pytest.mark.parametrize("change", ["no_exp", "wrong_aud", "wrong_iss", "expired", "kind_claim_lies"])
    async def test_validly_signed_but_breaking_a_rule(self, client, tenant: Tenant, app, change: str) -> None:
        _, claims, kid = await self.claims_and_key(client, tenant)
        typ = "lg-generic+jwt"
        if change == "no_exp":
            claims.pop("exp")
        elif change == "wrong_aud":
            claims["aud"] = "someone-else"
        elif change == "wrong_iss":
            claims["iss"] = "https://evil.example"
        elif change == "expired":
            claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 60
        elif change == "kind_claim_lies":
            claims["kind"] = "user"  # a user token without a user, under a generic typ
        token = jwt.encode(
            claims, get_app_state_key(app), algorithm="ES256", headers={"kid": kid, "typ": typ}
        )
        await self.assert_refused(client, token, "expired_token" if change == "expired" else "invalid_token")

    async def test_garbage_and_missing(self, client) -> None:
        for header in ("Bearer not.a.jwt", "Bearer ", "Token abc", "Bearer " + "a" * 5000):
            response = await client.get("/v1/developer/token", headers={"authorization": header})
            assert response.status_code == 401
        missing = await client.get("/v1/developer/token")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="linkgate"'

    async def test_kind_confusion_is_forbidden(self, client, tenant: Tenant) -> None:
        user = await tenant.bearer(guid="USR-1")
        item = await tenant.bearer(item_id="itm-1")
        generic = await tenant.bearer()
        for path, headers in (
            ("/v1/developer/configuration", user),
            ("/v1/developer/configuration", item),
            ("/v1/developer/user", generic),
            ("/v1/developer/user", item),
            ("/v1/developer/item", generic),
            ("/v1/developer/item", user),
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == 403, path
            assert response.json()["error"]["code"] == "wrong_token_kind"

    async def test_a_minted_dashboard_session_is_not_an_api_token(self, client, tenant: Tenant, app) -> None:
        state = get_app_state_from(app)
        session_token, _ = await state.auth.issue_dashboard_session(uuid.uuid4())
        await self.assert_refused(client, session_token)
        generic = mint(
            state.auth.ring, issuer=state.settings.base_url, audience=state.settings.token_audience,
            kind=TokenKind.generic, subject=tenant.client_id, lifetime_s=60, app_id=tenant.app_id,
        )  # fmt: skip
        dashboard = await client.get("/v1/dashboard/apps", headers={"authorization": f"Bearer {generic}"})
        assert dashboard.status_code == 401


def get_app_state_from(app: FastAPI) -> AppState:
    state: AppState = app.state.linkgate
    return state


def get_app_state_key(app: FastAPI) -> ec.EllipticCurvePrivateKey:
    """The gateway's own signing key: tokens it signs are genuine, so only the rule under test can fail."""
    return get_app_state_from(app).auth.ring.signing_key().private_key


class TestBasicAndScopes:
    async def test_basic_generic_and_user_level(self, client, tenant: Tenant) -> None:
        generic = await client.get("/v1/developer/token", headers=tenant.basic())
        assert (generic.status_code, generic.json()["kind"]) == (200, "generic")
        user = await client.get("/v1/developer/token", headers=tenant.basic("USR-42"))
        assert (user.json()["kind"], user.json()["user"], user.json()["user_id_field"]) == (
            "user",
            "USR-42",
            "guid",
        )
        assert (await client.get("/v1/developer/user", headers=tenant.basic("USR-42"))).json() == {}

    async def test_basic_refusals(self, client, tenant: Tenant) -> None:
        wrong = base64.b64encode(f"{tenant.client_id}:nope".encode()).decode()
        for header in (f"Basic {wrong}", "Basic !!!", "Basic " + base64.b64encode(b"only-one-part").decode()):
            response = await client.get("/v1/developer/token", headers={"authorization": header})
            assert response.status_code == 401
        not_here = await client.get("/v1/developer/configuration", headers=tenant.basic())
        assert not_here.status_code == 401  # configuration takes Bearer tokens only

    async def test_key_scopes_bound_what_tokens_do(self, client, tenant: Tenant) -> None:
        reader_id, reader_secret = await tenant.new_key("reader", ["data:read"])
        reader = Tenant(client, tenant.session, tenant.app_id, reader_id, reader_secret)
        response = await client.get("/v1/developer/configuration", headers=await reader.bearer())
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
        narrowed = await client.get(
            "/v1/developer/configuration", headers=await tenant.bearer(scope="data:read")
        )
        assert narrowed.status_code == 403


class TestIpAllowList:
    async def test_other_addresses_are_refused_and_proxies_only_believed_when_trusted(
        self, settings, tenant, client
    ):
        generic = await tenant.bearer()
        bad = await client.patch(
            "/v1/developer/configuration", json={"ip_allowlist": ["10.0.0.300"]}, headers=generic
        )
        assert bad.status_code == 400
        assert "10.0.0.300" in bad.json()["error"]["message"]
        set_list = await client.patch(
            "/v1/developer/configuration",
            json={"ip_allowlist": ["10.0.0.0/8", "2001:db8::1"]},
            headers=generic,
        )
        assert set_list.status_code == 200
        refused = await client.get("/v1/developer/token", headers=generic)  # ASGI peer is 127.0.0.1
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "ip_not_allowed"
        spoofed = await client.get("/v1/developer/token", headers=generic | {"x-forwarded-for": "10.1.2.3"})
        assert spoofed.status_code == 403  # no trusted proxies: the header is the caller's invention

        behind_lb = create_app(gateway_settings(settings, trusted_proxies=["127.0.0.1/32"]))
        async with serving(behind_lb) as lb_client:
            forwarded = {"x-forwarded-for": "203.0.113.9, 10.1.2.3"}
            allowed = await lb_client.get("/v1/developer/token", headers=generic | forwarded)
            assert allowed.status_code == 200
            outside = await lb_client.get(
                "/v1/developer/token", headers=generic | {"x-forwarded-for": "10.1.2.3, 203.0.113.9"}
            )
            assert outside.status_code == 403  # the rightmost untrusted hop is the client
