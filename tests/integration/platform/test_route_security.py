"""Every platform route declares its guard or is deliberately public, and no guard can be forgotten."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute

from gateway.app import create_app
from gateway.auth.dependencies import SecuredRoute, require_app
from gateway.auth.tokens import TokenKind
from tests.support.asgi import serving

PUBLIC = {
    ("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/oauth/token"), ("GET", "/.well-known/jwks.json"),
    ("POST", "/v1/dashboard/signup"), ("POST", "/v1/dashboard/login"),
}  # fmt: skip


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    return [
        (method, route)
        for route in app.routes
        if isinstance(route, APIRoute) and not route.path.startswith(("/docs", "/redoc", "/openapi"))
        for method in sorted(route.methods or ())
    ]


def test_every_route_is_guarded_or_deliberately_public(settings) -> None:
    app = create_app(settings)
    schema = app.openapi()
    assert set(schema["components"]["securitySchemes"]) == {
        "LinkgateToken",
        "LinkgateBasic",
        "DashboardSession",
    }
    for method, route in api_routes(app):
        operation = schema["paths"][route.path][method.lower()]
        if (method, route.path) in PUBLIC:
            assert "security" not in operation, route.path
        else:
            assert operation.get("security"), f"{method} {route.path} declares no security"
            assert isinstance(route, SecuredRoute), route.path


async def test_every_guarded_route_refuses_anonymous_callers(app, client, tenant) -> None:
    app_id = tenant.app_id
    for method, route in api_routes(app):
        if (method, route.path) in PUBLIC:
            continue
        path = route.path.format(app_id=app_id, client_id="0" * 24, organization_id="default")
        response = await client.request(method, path, json={} if method in {"POST", "PUT", "PATCH"} else None)
        # Body validation may answer first for an empty body; it never lets the call through.
        assert response.status_code in {401, 422}, (method, path, response.status_code)
        if method in {"GET", "DELETE"}:
            assert response.status_code == 401, (method, path)


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
