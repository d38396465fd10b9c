"""`POST /v1/moneykit/auth/token`: MoneyKit's client-credentials grant, answered with 201."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from gateway.auth.basic import basic_client_credentials
from gateway.auth.dependencies import caller_address
from gateway.auth.principal import ApiClient
from gateway.auth.tokens import TokenKind
from gateway.collections.moneykit.routing import MoneyKitRoute
from gateway.errors import InvalidCredentials, InvalidRequest
from gateway.state import get_app_state

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])


class CreateAccessTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


@router.post("/auth/token", status_code=201, response_model=CreateAccessTokenResponse)
async def create_access_token(
    request: Request,
    grant_type: str = Form(default="client_credentials"),
    scope: str | None = Form(default=None),
    client_id: str | None = Form(default=None, max_length=64),
    client_secret: str | None = Form(default=None, max_length=256),
) -> Response:
    """A generic access token for MoneyKit clients (form body or HTTP Basic)."""
    if grant_type != "client_credentials":
        raise InvalidRequest("grant_type must be client_credentials.")
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
