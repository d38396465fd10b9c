"""FastAPI dependencies that authenticate a request and check what its principal may do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBearer

from gateway.auth.client_address import address_allowed, client_address
from gateway.auth.principal import AppPrincipal, DeveloperPrincipal
from gateway.auth.tokens import TokenKind
from gateway.errors import InsufficientScope, IpNotAllowed, Unauthenticated, WrongTokenKind
from gateway.state import get_app_state

bearer_scheme = HTTPBearer(auto_error=False, description="A Linkgate JWT from POST /oauth/token.")


class _DocumentedBasic(HTTPBasic):
    """Puts HTTP Basic in the OpenAPI schema; the parsing (with a third, user part) is ours."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


basic_scheme = _DocumentedBasic(
    auto_error=False,
    description="base64(client_id:client_secret) or base64(client_id:client_secret:user_guid).",
)
dashboard_scheme = HTTPBearer(
    auto_error=False, scheme_name="DashboardSession", description="A session token from /v1/dashboard/login."
)

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="linkgate"'}


def _authorization(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    return (scheme.lower(), credentials) if scheme and credentials else None


def require_app(
    *kinds: TokenKind, scope: str | None = None, basic: bool = False
) -> Callable[..., Awaitable[AppPrincipal]]:
    """A dependency admitting tokens of `kinds` (and Basic credentials if `basic`) that carry `scope`."""
    allowed = frozenset(kinds)

    async def authenticate(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> AppPrincipal:
        state = get_app_state(request)
        presented = _authorization(request)
        if presented is None:
            raise Unauthenticated(
                "Send an Authorization header with a Bearer token.", headers=BEARER_CHALLENGE
            )
        scheme, credentials = presented
        if scheme == "bearer":
            principal = await state.auth.bearer(credentials)
        elif scheme == "basic" and basic:
            principal = await state.auth.basic(credentials)
        else:
            raise Unauthenticated("Unsupported Authorization scheme.", headers=BEARER_CHALLENGE)
        if principal.kind not in allowed:
            accepted = " or ".join(sorted(kind.value for kind in allowed))
            raise WrongTokenKind(f"This route takes {accepted} tokens, not {principal.kind.value}.")
        if scope is not None and scope not in principal.scopes:
            raise InsufficientScope(f"This route needs the {scope!r} scope.")
        address = client_address(request, state.trusted_proxies)
        if not address_allowed(address, principal.client.ip_allow_list):
            raise IpNotAllowed()
        return principal

    if basic:

        async def authenticate_with_basic_documented(
            request: Request,
            _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
            _basic: Annotated[None, Depends(basic_scheme)],
        ) -> AppPrincipal:
            return await authenticate(request, _bearer)

        return authenticate_with_basic_documented
    return authenticate


async def require_developer(
    request: Request,
    _session: Annotated[HTTPAuthorizationCredentials | None, Depends(dashboard_scheme)],
) -> DeveloperPrincipal:
    """A dashboard session token, and nothing else."""
    presented = _authorization(request)
    if presented is None or presented[0] != "bearer":
        raise Unauthenticated(
            "Log in at /v1/dashboard/login and send the session as a Bearer token.", headers=BEARER_CHALLENGE
        )
    return await get_app_state(request).auth.dashboard(presented[1])


Developer = Annotated[DeveloperPrincipal, Depends(require_developer)]
