"""Every route declares its guard or is deliberately public, and no guard can be forgotten.

Operations come from the OpenAPI schema (the public contract); route objects are found by walking
included routers. Both lists are checked for size, so an empty walk can never pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from gateway.app import create_app
from gateway.auth.dependencies import SecuredRoute, require_app
from gateway.auth.tokens import TokenKind
from tests.support.asgi import serving

PUBLIC = {
    ("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/oauth/token"), ("GET", "/.well-known/jwks.json"),
    ("POST", "/v1/dashboard/signup"), ("POST", "/v1/dashboard/login"), ("POST", "/v1/moneykit/auth/token"),
    ("GET", "/connect"),  # the link session token in the query is the credential (404/410 page without one)
    ("GET", "/v1/gateway/authenticate"),  # Link Money's entry: the user token comes in the query
    ("GET", "/connect/oauth/{institution_id}"),  # the sandbox bank's consent page: a sealed state is the key
    ("GET", "/connect/callback/{provider}"),  # back from an upstream's consent: the sealed state is the key
    ("POST", "/v1/providers/{provider}/webhooks"),  # upstreams: the adapter verifies their signature
    ("POST", "/v2/yodlee/auth/token"),  # Yodlee's token endpoint: clientId and secret in the form
    ("GET", "/v1/moneykit/.well-known/jwks.json"),  # the root JWKS, where MoneyKit's client reads it
}  # fmt: skip
MIN_OPERATIONS = 35


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    schema = app.openapi()
    return [
        (method.upper(), path, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)  # FastAPI keeps included routers nested
        if nested is not None:
            yield from api_routes(nested.routes)


def test_every_operation_is_guarded_or_deliberately_public(settings) -> None:
    app = create_app(settings)
    found = operations(app)
    assert len(found) >= MIN_OPERATIONS
    assert set(app.openapi()["components"]["securitySchemes"]) == {
        "LinkgateToken",
        "LinkgateBasic",
        "DashboardSession",
        "LinkSessionToken",
        "PlaidClientId",
        "PlaidSecret",
    }
    for method, path, operation in found:
        if (method, path) in PUBLIC:
            assert "security" not in operation, path
        else:
            assert operation.get("security"), f"{method} {path} declares no security"


def test_every_guarded_route_enforces_its_guard(settings) -> None:
    routes = list(api_routes(create_app(settings).router.routes))
    guarded = [route for route in routes if (route.openapi_extra or {}).get("security")]
    assert len(guarded) >= MIN_OPERATIONS - len(PUBLIC) - 2  # /docs and friends are not API routes
    assert all(isinstance(route, SecuredRoute) for route in guarded)


async def test_every_guarded_route_refuses_anonymous_callers(app, client, tenant) -> None:
    checked = 0
    for method, path, _ in operations(app):
        if (method, path) in PUBLIC:
            continue
        missing_link = "00000000-0000-0000-0000-000000000000"
        ids = {"app_id": tenant.app_id, "client_id": "0" * 24, "organization_id": "default",
               "account_id": "x", "link_id": missing_link, "institution_id": "x", "user_id": "u",
               "delivery_id": missing_link, "event_id": missing_link, "providerId": "100001",
               "providerAccountId": "1", "accountId": "1", "eventName": "REFRESH",
               "provider": "simplefin"}  # fmt: skip
        ids |= {
            "user_guid": "USR-x",
            "member_guid": "MBR-x",
            "account_guid": "ACT-x",
            "institution_code": "x",
            "transaction_guid": "TRN-x",
            "holding_guid": "HOL-x",
        }
        url = path.format(**ids)
        mx = path.startswith("/v1/mx/")
        # MX routes refuse any Accept but MX's own (406), Yodlee's any Api-Version but 1.1, before they
        # look at credentials.
        headers = {"accept": "application/vnd.mx.api.v1+json"} if mx else {"Api-Version": "1.1"}
        body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
        response = await client.request(method, url, json=body, headers=headers)
        checked += 1
        if path.startswith("/v1/plaid/"):  # Plaid answers 400: missing fields or invalid API keys
            assert response.status_code == 400, (method, url, response.status_code)
            assert response.json()["error_code"] in {"MISSING_FIELDS", "INVALID_API_KEYS"}, url
            continue
        # Body validation may answer first for an empty body (MX says 400; MoneyKit the error each
        # operation's client declares: 400 for the token exchange, 403 for link sessions); it never
        # lets the call through.
        refused = {401, 400 if mx else 422} | ({400, 403} if path.startswith("/v1/moneykit/") else set())
        assert response.status_code in refused, (method, url, response.status_code)
        if method in {"GET", "DELETE"}:
            assert response.status_code == 401, (method, url)
    assert checked >= MIN_OPERATIONS - len(PUBLIC)


async def test_a_route_that_forgets_its_guard_fails_loudly(settings) -> None:
    guard = require_app(TokenKind.generic)
    router = APIRouter(route_class=SecuredRoute)

    @router.get("/forgetful", openapi_extra=guard.openapi)
    async def forgetful(request: Request) -> dict[str, str]:
        return {"secret": "data"}

    app = create_app(settings)
    app.include_router(router)
    async with serving(app) as http:
        response = await http.get("/forgetful")
    assert response.status_code == 500
    assert "secret" not in response.text
