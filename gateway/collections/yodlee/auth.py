"""`POST /v2/yodlee/auth/token`: form `clientId`/`secret`; a `loginName` header asks for a user token.

Without `loginName` the token is the admin token (our generic token) that registers users, manages
notification subscriptions and reads data extracts. A new loginName is registered implicitly.
`DELETE /v2/yodlee/auth/token` revokes the token it is called with (204).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import Response

from gateway.auth.dependencies import caller_address, require_app
from gateway.auth.principal import ApiClient
from gateway.auth.tokens import TokenKind
from gateway.collections.yodlee.access import json_response, no_content
from gateway.collections.yodlee.errors import YodleeError
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.users import check_login_name
from gateway.dependencies import DbSession
from gateway.end_users.service import get_or_create_token_user
from gateway.errors import InvalidCredentials
from gateway.models.developer import DEFAULT_ORGANIZATION_KEY
from gateway.state import get_app_state

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])

TOKEN_HOLDER = require_app(TokenKind.generic, TokenKind.user)


@router.post("/auth/token", status_code=201)
async def generate_access_token(
    request: Request,
    session: DbSession,
    client_id: str | None = Form(default=None, alias="clientId", max_length=256),
    secret: str | None = Form(default=None, max_length=512),
    login_name: str | None = Header(default=None, alias="loginName"),
) -> Response:
    """A user token for the `loginName` header's user, or the admin token without it (201)."""
    if not client_id or not secret:
        raise YodleeError("Y303", "clientId or secret is missing")
    state = get_app_state(request)
    try:
        client: ApiClient = await state.auth.check_client(client_id, secret, caller_address(request))
    except InvalidCredentials as exc:
        raise YodleeError("Y301", "Invalid clientId or secret") from exc
    if login_name is None:
        token, expires_in = await state.auth.issue(client, TokenKind.generic, scopes=client.scopes)
    else:
        name = check_login_name(login_name)
        await get_or_create_token_user(session, client.app_id, client.user_id_field, name)
        token, expires_in = await state.auth.issue(
            client, TokenKind.user, scopes=client.scopes, organization=DEFAULT_ORGANIZATION_KEY, user=name
        )
    issued_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = json_response(
        {"token": {"accessToken": token, "issuedAt": issued_at, "expiresIn": expires_in}}, status_code=201
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.delete("/auth/token", status_code=204, openapi_extra=TOKEN_HOLDER.openapi)
async def delete_token(request: Request) -> Response:
    """Revoke the admin or user token in the Authorization header (204); presented again, it is 401."""
    principal = await TOKEN_HOLDER(request)
    token = request.headers["authorization"].partition(" ")[2].strip()  # a bearer: the guard takes no other
    await get_app_state(request).auth.revoke(token, principal)
    return no_content()
