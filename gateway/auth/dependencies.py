"""Route guards: authenticate a request and check what its principal may do.

Guards are called at the top of a handler (`principal = await CONFIGURER(request)`) rather than
injected with `Depends`: resolving one FastAPI dependency costs more than all of authentication
(bench/RESULTS.md, "Authentication overhead"). Each guard declares its OpenAPI security through
`openapi_extra=GUARD.openapi`, and `SecuredRoute` refuses to let a route that declares security
finish without its guard having run, so a forgotten guard fails every test that reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from gateway.auth.client_address import address_allowed, client_address
from gateway.auth.principal import AppPrincipal, DeveloperPrincipal
from gateway.auth.throttle import address_of
from gateway.auth.tokens import TokenKind
from gateway.errors import InsufficientScope, IpNotAllowed, Unauthenticated, WrongTokenKind
from gateway.state import get_app_state

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="linkgate"'}
AUTHENTICATED_KEY = "linkgate.authenticated"

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "LinkgateToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                      "description": "A generic, user or item token from POST /oauth/token."},
    "LinkgateBasic": {"type": "http", "scheme": "basic",
                      "description": "client_id:client_secret, or client_id:client_secret:user_guid."},
    "DashboardSession": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                         "description": "A session token from POST /v1/dashboard/login."},
    "PlaidClientId": {"type": "apiKey", "in": "header", "name": "PLAID-CLIENT-ID",
                      "description": "The API key's client_id (or `client_id` in the body)."},
    "PlaidSecret": {"type": "apiKey", "in": "header", "name": "PLAID-SECRET",
                    "description": "The API key's secret (or `secret` in the body)."},
    "LinkSessionToken": {"type": "apiKey", "in": "header", "name": "Link-Session-Token",
                         "description": "The link_session_token an app created for this Connect session."},
}  # fmt: skip


def caller_address(request: Request) -> str:
    """The caller's address as rate limits key it (behind trusted proxies, the forwarded client)."""
    return address_of(request, get_app_state(request).trusted_proxies)


def _authorization(request: Request) -> tuple[str, str] | None:
    # Straight from the ASGI scope: building Starlette's Headers object costs more than the lookup.
    header = next((v for k, v in request.scope["headers"] if k == b"authorization"), b"").decode("latin-1")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    return (scheme.lower(), credentials) if scheme and credentials else None


class AppAuthenticator:
    """Admits tokens of `kinds` (and HTTP Basic credentials when `basic`) that carry `scope`."""

    def __init__(self, *kinds: TokenKind, scope: str | None = None, basic: bool = False) -> None:
        self.kinds = frozenset(kinds)
        self.scope = scope
        self.basic = basic
        schemes: list[dict[str, list[str]]] = [{"LinkgateToken": []}]
        if basic:
            schemes.append({"LinkgateBasic": []})
        self.openapi: dict[str, Any] = {"security": schemes}

    async def __call__(self, request: Request) -> AppPrincipal:
        state = get_app_state(request)
        presented = _authorization(request)
        if presented is None:
            raise Unauthenticated(
                "Send an Authorization header with a Bearer token.", headers=BEARER_CHALLENGE
            )
        scheme, credentials = presented
        if scheme == "bearer":
            principal = await state.auth.bearer(credentials, caller_address(request))
        elif scheme == "basic" and self.basic:
            principal = await state.auth.basic(credentials, caller_address(request))
        else:
            raise Unauthenticated("Unsupported Authorization scheme.", headers=BEARER_CHALLENGE)
        return self.admit(request, principal)

    def admit(self, request: Request, principal: AppPrincipal) -> AppPrincipal:
        """Let an authenticated caller in if its kind, scopes and address are allowed here."""
        state = get_app_state(request)
        if principal.kind not in self.kinds:
            accepted = " or ".join(sorted(kind.value for kind in self.kinds))
            raise WrongTokenKind(f"This route takes {accepted} tokens, not {principal.kind.value}.")
        if self.scope is not None and self.scope not in principal.scopes:
            raise InsufficientScope(f"This route needs the {self.scope!r} scope.")
        if principal.client.ip_allow_list:
            address = client_address(request, state.trusted_proxies)
            if not address_allowed(address, principal.client.ip_allow_list):
                raise IpNotAllowed()
        request.scope[AUTHENTICATED_KEY] = True
        request.state.app_id = str(principal.app_id)  # for the access log
        return principal


def require_app(*kinds: TokenKind, scope: str | None = None, basic: bool = False) -> AppAuthenticator:
    return AppAuthenticator(*kinds, scope=scope, basic=basic)


class DeveloperAuthenticator:
    """A dashboard session token, and nothing else."""

    openapi: dict[str, Any] = {"security": [{"DashboardSession": []}]}

    async def __call__(self, request: Request) -> DeveloperPrincipal:
        presented = _authorization(request)
        if presented is None or presented[0] != "bearer":
            raise Unauthenticated(
                "Log in at /v1/dashboard/login and send the session as a Bearer token.",
                headers=BEARER_CHALLENGE,
            )
        developer = await get_app_state(request).auth.dashboard(presented[1], caller_address(request))
        request.scope[AUTHENTICATED_KEY] = True
        return developer


DASHBOARD = DeveloperAuthenticator()

LINK_SESSION_OPENAPI: dict[str, Any] = {"security": [{"LinkSessionToken": []}]}


def mark_authenticated(request: Request) -> None:
    """For guards that authenticate with something other than the app's credentials (a link session)."""
    request.scope[AUTHENTICATED_KEY] = True


class SecuredRoute(APIRoute):
    """A route that declares OpenAPI security must have run its guard before it answers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not (self.openapi_extra or {}).get("security"):
            return handler

        async def checked(request: Request) -> Response:
            response = await handler(request)
            if not request.scope.get(AUTHENTICATED_KEY) and response.status_code < 400:
                raise RuntimeError(f"{self.path} declares security but its handler never ran its guard")
            return response

        return checked
