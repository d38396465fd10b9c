"""`GET /v1/gateway/authenticate`: Link Money's hosted linking entry, over the same Connect flow.

The app's front end opens it with a user token and a `redirectUri`; when the user finishes, the link is
connected and the browser returns to `redirectUri?events=[…]`, one event per link, as Link Money does.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from gateway.auth.dependencies import caller_address
from gateway.auth.tokens import TokenKind
from gateway.collections.routing import CollectionRouter
from gateway.dependencies import DbSession
from gateway.end_users.service import get_or_create_token_user
from gateway.errors import InvalidRequest, WrongTokenKind
from gateway.links import connect
from gateway.links.redirects import check_redirect_uri
from gateway.state import get_app_state

router = CollectionRouter(prefix="/v1/gateway", tags=["gateway"])

ALL_PRODUCTS = ["accounts", "account_numbers", "identity", "transactions", "investments"]


@router.get("/authenticate", response_class=RedirectResponse, status_code=303)
async def authenticate(
    request: Request,
    session: DbSession,
    token: Annotated[str, Query(min_length=1, max_length=4096, description="A user token.")],
    redirect_uri: Annotated[str, Query(alias="redirectUri", min_length=1, max_length=2048)],
) -> RedirectResponse:
    """Open Connect for the token's user; the browser comes back to `redirectUri?events=[...]`."""
    if not redirect_uri.startswith(("https://", "http://")):
        raise InvalidRequest("redirectUri must start with https:// or http://.")
    try:
        check_redirect_uri(redirect_uri)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    principal = await get_app_state(request).auth.bearer(token, caller_address(request))
    if principal.kind is not TokenKind.user or principal.user is None or principal.user_field is None:
        raise WrongTokenKind("The gateway takes a user token.")
    user = await get_or_create_token_user(session, principal.app_id, principal.user_field, principal.user)
    organization = principal.organization or "default"
    session_token = await connect.create_session(
        session, app_id=principal.app_id, end_user_id=user.id, redirect_uri=redirect_uri,
        products=ALL_PRODUCTS, gateway_user=f"{organization}:{principal.user}", organization=organization,
    )  # fmt: skip
    return RedirectResponse("/connect?" + urlencode({"link_session_token": session_token}), status_code=303)
