"""`POST /oauth/token` (client credentials → generic, user or item JWT) and the JWKS that verifies them."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.auth.basic import BASIC_CHALLENGE, basic_client_credentials
from gateway.auth.dependencies import caller_address
from gateway.auth.principal import ApiClient
from gateway.auth.tokens import TokenKind
from gateway.collections.oauth.errors import NO_STORE, InvalidScope, OAuthError, UnsupportedGrantType
from gateway.dependencies import DbSession
from gateway.developers.organizations import organization_service
from gateway.developers.schemas import StorableInput
from gateway.errors import InvalidCredentials
from gateway.models.developer import DEFAULT_ORGANIZATION_KEY
from gateway.state import get_app_state

router = APIRouter(tags=["oauth"])

USER_FIELDS = ("guid", "uid", "id")


class TokenRequest(StorableInput):
    """Client-credentials grant.

    `guid`, `uid` or `id` (or `user_id`) asks for a user token; `item_id` asks for an item token.
    """

    model_config = ConfigDict(extra="ignore")

    grant_type: str | None = Field(default=None, max_length=64, examples=["client_credentials"])
    client_id: str | None = Field(default=None, max_length=64)
    client_secret: str | None = Field(default=None, max_length=256)
    audience: str | None = Field(default=None, max_length=256)
    scope: str | None = Field(default=None, max_length=256)
    guid: str | None = Field(default=None, min_length=1, max_length=255)
    uid: str | None = Field(default=None, min_length=1, max_length=255)
    id: str | None = Field(default=None, min_length=1, max_length=255)
    user_id: str | None = Field(default=None, min_length=1, max_length=255)
    item_id: str | None = Field(default=None, min_length=1, max_length=255)
    organization: str | None = Field(default=None, min_length=1, max_length=64)


class TokenResponse(BaseModel):
    token: str
    type: Literal["Bearer"] = "Bearer"
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": TokenRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": TokenRequest.model_json_schema()},
        },
    }
}


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    openapi_extra=_REQUEST_BODY,
    responses={400: {"description": "RFC 6749 error"}, 401: {"description": "invalid_client"}},
)
async def issue_token(request: Request, session: DbSession) -> Response:
    """Exchange API key credentials for a JWT: generic (1 h), user (3 h) or item (24 h)."""
    state = get_app_state(request)
    body = await _read_body(request)
    basic = basic_client_credentials(request)
    if basic is not None and (body.client_id or body.client_secret):
        raise OAuthError(
            "Send client credentials either in the Authorization header or in the body, not both."
        )
    client_id, client_secret = basic or (body.client_id, body.client_secret)
    if not body.grant_type:
        raise OAuthError("grant_type is required.")
    if body.grant_type != "client_credentials":
        raise UnsupportedGrantType()
    if not client_id or not client_secret:
        raise OAuthError("client_id and client_secret are required.")
    if body.audience is not None and body.audience != state.settings.token_audience:
        raise OAuthError(
            f"Unknown audience; this gateway issues tokens for {state.settings.token_audience!r}."
        )
    try:
        client = await state.auth.check_client(client_id, client_secret, caller_address(request))
    except InvalidCredentials as exc:
        if basic is not None:
            exc.headers.update(BASIC_CHALLENGE)
        raise
    kind, user, item = _subject(body, client)
    organization = await _organization(session, body, client, kind)
    scopes = _scopes(body.scope, client)
    token, expires_in = await state.auth.issue(
        client, kind, scopes=scopes, organization=organization, user=user, item=item
    )
    payload = TokenResponse(token=token, access_token=token, expires_in=expires_in, scope=" ".join(scopes))
    return Response(orjson.dumps(payload.model_dump()), media_type="application/json", headers=NO_STORE)


@router.get("/.well-known/jwks.json", summary="Public keys that verify Linkgate tokens")
async def jwks(request: Request) -> dict[str, list[dict[str, Any]]]:
    """The ES256 keys (by `kid`) that sign tokens now or signed tokens that are still valid."""
    return (await get_app_state(request).auth.current_ring()).jwks()


async def _read_body(request: Request) -> TokenRequest:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw: Any
    if media_type == "application/json":
        try:
            raw = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise OAuthError("The request body is not valid JSON.") from exc
    elif media_type == "application/x-www-form-urlencoded":
        # One field may be as large as the whole body: LINKGATE_MAX_BODY_BYTES decides (413), not
        # Starlette's 1 MiB default for a field (400).
        limit = get_app_state(request).settings.max_body_bytes
        raw = dict((await request.form(max_part_size=limit)).items())
    else:
        raise OAuthError("Send the request as application/x-www-form-urlencoded or application/json.")
    if not isinstance(raw, dict):
        raise OAuthError("The request body must be an object.")
    try:
        return TokenRequest.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in error["loc"]) for error in exc.errors())
        raise OAuthError(f"Invalid parameters: {fields}.") from exc


def _subject(body: TokenRequest, client: ApiClient) -> tuple[TokenKind, str | None, str | None]:
    """Which kind of token this request asks for, and for which user or item."""
    named = {field: getattr(body, field) for field in USER_FIELDS if getattr(body, field) is not None}
    other_fields = set(named) - {client.user_id_field}
    if other_fields:
        raise OAuthError(
            f"This app identifies users by {client.user_id_field!r} (see /v1/developer/configuration), "
            f"not {sorted(other_fields)[0]!r}; `user_id` is accepted too."
        )
    users = [value for value in (named.get(client.user_id_field), body.user_id) if value is not None]
    if len(set(users)) > 1:
        raise OAuthError("Name the user once.")
    if users and body.item_id is not None:
        raise OAuthError("A token is for a user or for an item, not both.")
    if users:
        return TokenKind.user, users[0], None
    if body.item_id is not None:
        return TokenKind.item, None, body.item_id
    return TokenKind.generic, None, None


async def _organization(
    session: DbSession, body: TokenRequest, client: ApiClient, kind: TokenKind
) -> str | None:
    if kind is TokenKind.generic:
        if body.organization is not None:
            raise OAuthError("`organization` applies to user and item tokens only.")
        return None
    organization = body.organization or DEFAULT_ORGANIZATION_KEY
    if organization != DEFAULT_ORGANIZATION_KEY and not await organization_service.exists(
        session, app_id=client.app_id, key=organization
    ):
        raise OAuthError(f"This app may not see organization {organization!r}.")
    return organization


def _scopes(requested: str | None, client: ApiClient) -> tuple[str, ...]:
    if requested is None or not requested.strip():
        return client.scopes
    wanted = tuple(sorted(set(requested.split())))
    if not set(wanted) <= set(client.scopes):
        raise InvalidScope(f"This API key has the scopes {' '.join(client.scopes)!r}.")
    return wanted
