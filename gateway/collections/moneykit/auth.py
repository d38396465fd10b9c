"""MoneyKit's access routes: `POST /auth/token` (client-credentials grant, answered with 201),
`GET /auth/introspect` (the API client behind a token) and `GET /.well-known/jwks.json` (the keys that
verify tokens, the same as the gateway's root JWKS)."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from gateway.auth.basic import basic_client_credentials
from gateway.auth.dependencies import caller_address, require_app
from gateway.auth.principal import ApiClient
from gateway.auth.tokens import TokenKind
from gateway.collections.moneykit.errors import TokenRequestRefused, token_request_bad_input
from gateway.collections.moneykit.routing import MoneyKitRoute, answers_bad_input_with
from gateway.collections.oauth.endpoints import jwks
from gateway.dependencies import DbSession
from gateway.developers.repository import developer_repository
from gateway.errors import InvalidCredentials
from gateway.state import get_app_state

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])
router.add_api_route("/.well-known/jwks.json", jwks, methods=["GET"], summary="Keys that verify tokens")

TOKEN_HOLDER = require_app(TokenKind.generic, TokenKind.user, TokenKind.item)


class CreateAccessTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


@router.post("/auth/token", status_code=201, response_model=CreateAccessTokenResponse)
@answers_bad_input_with(token_request_bad_input)
async def create_access_token(
    request: Request,
    grant_type: str = Form(default="client_credentials"),
    scope: str | None = Form(default=None),
    client_id: str | None = Form(default=None, max_length=64),
    client_secret: str | None = Form(default=None, max_length=256),
) -> Response:
    """A generic access token for MoneyKit clients (form body or HTTP Basic)."""
    if grant_type != "client_credentials":
        raise TokenRequestRefused("grant_type must be client_credentials.")
    basic = basic_client_credentials(request)
    client_id, client_secret = basic or (client_id, client_secret)
    if not client_id or not client_secret:
        raise InvalidCredentials("client_id and client_secret are required.")
    state = get_app_state(request)
    client: ApiClient = await state.auth.check_client(client_id, client_secret, caller_address(request))
    scopes = tuple(sorted(set(scope.split()))) if scope and scope.strip() else client.scopes
    if not set(scopes) <= set(client.scopes):
        raise InvalidCredentials("The requested scope exceeds this API key's scopes.")
    token, expires_in = await state.auth.issue(client, TokenKind.generic, scopes=scopes)
    body = CreateAccessTokenResponse(access_token=token, expires_in=expires_in).model_dump()
    return Response(orjson.dumps(body), status_code=201, media_type="application/json",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


@router.get("/auth/introspect", openapi_extra=TOKEN_HOLDER.openapi)
async def introspect_client(request: Request, session: DbSession) -> Response:
    """The API client (and its app) that the presented token was issued to."""
    principal = await TOKEN_HOLDER(request)
    app = await developer_repository.get_app_by_id(session, principal.app_id)
    key = await developer_repository.get_key_by_id(session, principal.app_id, principal.client.api_key_id)
    body = {
        "client_id": principal.client.client_id,
        "client_name": key.name,
        "scope": " ".join(principal.scopes),
        "app": {"app_id": str(app.id), "id": str(app.id), "name": app.name, "app_name": app.name},
        "disabled_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }
    return Response(orjson.dumps(body), media_type="application/json")
