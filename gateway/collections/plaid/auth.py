"""Who is calling a Plaid route, and which Item it names.

Credentials come from the `PLAID-CLIENT-ID`/`PLAID-SECRET` headers or, when the headers are absent,
from `client_id`/`secret` in the body (headers win when both are sent). Link Money bearer tokens work
too: generic ones like client credentials, user and item tokens narrowed to their user or link.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.dependencies import AppAuthenticator, caller_address
from gateway.auth.principal import AppPrincipal, Scope
from gateway.auth.tokens import TokenKind
from gateway.collections.plaid.errors import InvalidAccessToken, MissingFields
from gateway.collections.plaid.requests import ItemRequest, PlaidRequest
from gateway.links.access_tokens import link_for_access_token
from gateway.links.readable import can_read, get_link
from gateway.models.link import Link
from gateway.state import get_app_state

PLAID_SECURITY: dict[str, Any] = {
    "security": [{"PlaidClientId": [], "PlaidSecret": []}, {"LinkgateToken": []}]
}
ALL_KINDS = (TokenKind.generic, TokenKind.user, TokenKind.item)


class PlaidCaller:
    """A guard for one kind of Plaid route: which token kinds and which scope it admits."""

    def __init__(self, *kinds: TokenKind, scope: str) -> None:
        self.guard = AppAuthenticator(*kinds, scope=scope)
        self.openapi = PLAID_SECURITY

    async def __call__(self, request: Request, body: PlaidRequest) -> AppPrincipal:
        auth = get_app_state(request).auth
        client_id = request.headers.get("plaid-client-id")
        secret = request.headers.get("plaid-secret")
        if client_id is None and secret is None:
            client_id, secret = body.client_id, body.secret
        if client_id is None and secret is None and request.headers.get("authorization"):
            return await self.guard(request)
        missing = [name for name, value in (("client_id", client_id), ("secret", secret)) if not value]
        if missing:
            raise MissingFields(f"the following required fields are missing: {', '.join(missing)}")
        assert client_id is not None
        assert secret is not None
        client = await auth.check_client(client_id, secret, caller_address(request))
        principal = AppPrincipal(kind=TokenKind.generic, client=client, scopes=client.scopes)
        return self.guard.admit(request, principal)


LINK_WRITER = PlaidCaller(TokenKind.generic, scope=Scope.write_links)
ITEM_WRITER = PlaidCaller(*ALL_KINDS, scope=Scope.write_links)
READER = PlaidCaller(*ALL_KINDS, scope=Scope.read)
APP_READER = PlaidCaller(TokenKind.generic, scope=Scope.read)


async def item_link(
    session: AsyncSession, principal: AppPrincipal, body: ItemRequest, *, for_update: bool = False
) -> Link:
    """The live link `access_token` names, within the caller's token; INVALID_ACCESS_TOKEN otherwise
    (another app's token answers exactly like a made-up one)."""
    if body.access_token is None:
        if principal.kind is not TokenKind.item or principal.item is None:
            raise MissingFields("the following required fields are missing: access_token")
        link = await _item_token_link(session, principal, for_update=for_update)
    else:
        link = await link_for_access_token(
            session, principal.app_id, body.access_token, for_update=for_update
        )
    if link is None or not await can_read(session, principal, link):
        raise InvalidAccessToken()
    return link


async def _item_token_link(
    session: AsyncSession, principal: AppPrincipal, *, for_update: bool
) -> Link | None:
    assert principal.item is not None
    try:
        link_id = uuid.UUID(principal.item)
    except ValueError:
        return None
    link = await get_link(session, principal, link_id, for_update=for_update)
    return link if link is not None and link.state != "deleted" else None
