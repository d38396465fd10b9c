"""MoneyKit link routes: the sandbox exchangeable token, token exchange, and reading or deleting links."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from formats.moneykit import render
from gateway.auth.dependencies import require_app
from gateway.auth.principal import AppPrincipal, Scope
from gateway.auth.tokens import TokenKind
from gateway.collections.moneykit.access import accessible_link
from gateway.collections.moneykit.errors import (
    ForbiddenConfig,
    InstitutionNotFound,
    InvalidTokenExchange,
    LinkDeleted,
    LinkForbiddenAction,
    LinkNotFound,
    link_bad_input,
    link_session_bad_input,
    token_exchange_bad_input,
)
from gateway.collections.moneykit.params import invalid_cursor
from gateway.collections.moneykit.routing import MoneyKitRoute, answers_bad_input_with
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.developers.configuration import WEBHOOK_URI_DOCS, InvalidWebhookUri, check_webhook_uri
from gateway.developers.schemas import BodyPart, StorableInput
from gateway.end_users.service import get_or_create_end_user
from gateway.institutions.catalog import IMPORTED_PROVIDER, get_institution
from gateway.links import connect, readable
from gateway.links.redirects import RedirectUri
from gateway.links.sandbox_shortcut import link_sandbox_institution
from gateway.links.service import link_service
from gateway.links.sessions import issue_exchangeable_token, redeem_exchangeable_token
from gateway.models.institution import Institution
from gateway.models.link import Link
from gateway.state import get_app_state

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])

LINK_WRITER = require_app(TokenKind.generic, scope=Scope.write_links)
LINK_READER = require_app(TokenKind.generic, TokenKind.user, TokenKind.item, scope=Scope.read)
MoneyKitProduct = Annotated[
    str, Field(pattern="^(accounts|account_numbers|identity|transactions|investments)$")
]


def json_response(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


class CustomerUser(BodyPart):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=255)


class SandboxExchangeableTokenRequest(StorableInput):
    institution_id: str = Field(max_length=64)
    customer_user: CustomerUser
    products: list[MoneyKitProduct] | None = Field(default=None, max_length=5)
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=255)


class ExchangeTokenRequest(StorableInput):
    exchangeable_token: str = Field(min_length=1, max_length=200)


async def rendered_link(session: DbSession, link: Link) -> dict[str, Any]:
    institution = await session.get(Institution, link.institution_id)
    assert institution is not None
    return render.link_common(link, institution)


@router.post("/sandbox/exchangeable-token", openapi_extra=LINK_WRITER.openapi)
async def create_sandbox_exchangeable_token(
    body: SandboxExchangeableTokenRequest, request: Request, session: DbSession
) -> Response:
    """Sandbox apps only: link a test institution without Connect and get the token Connect would give."""
    principal = await LINK_WRITER(request)
    if principal.app_mode != "sandbox":
        raise ForbiddenConfig("The sandbox shortcut is for sandbox apps only.")
    institution = await get_institution(session, body.institution_id)
    if institution is None or institution.provider != "sandbox":
        raise InstitutionNotFound()
    user = await get_or_create_end_user(session, principal.app_id, body.customer_user.id)
    products = list(dict.fromkeys(["accounts", *(body.products or render.PRODUCTS)]))
    link = await link_sandbox_institution(
        session, box=SecretBox(get_app_state(request).auth.master_key), app_id=principal.app_id,
        end_user_id=user.id, institution=institution, products=products, username=body.username,
        password=body.password,
    )  # fmt: skip
    token = await issue_exchangeable_token(session, link, products)
    return json_response({"exchangeable_token": token})


@router.post("/link-session/exchange-token", status_code=201, openapi_extra=LINK_WRITER.openapi)
@answers_bad_input_with(token_exchange_bad_input)
async def exchange_token(body: ExchangeTokenRequest, request: Request, session: DbSession) -> Response:
    """Trade the single-use exchangeable token for the link; the first refresh starts at once."""
    principal = await LINK_WRITER(request)
    link_id = await redeem_exchangeable_token(session, principal.app_id, body.exchangeable_token)
    link = await readable.get_link(session, principal, link_id, for_update=True) if link_id else None
    if link is None or link.state != "awaiting_token_exchange":
        problem = {"location": "body", "field": "exchangeable_token", "message": "is not a token to exchange"}
        raise InvalidTokenExchange(details=[problem])
    await link_service.complete_exchange(session, link)
    return json_response(
        {"link_id": str(link.id), "link": await rendered_link(session, link)}, status_code=201
    )


@router.get("/links", openapi_extra=LINK_READER.openapi)
async def get_links(
    request: Request,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Response:
    """The app's active links (or the user's, with a user token), oldest first."""
    principal = await LINK_READER(request)
    links = await readable.link_page(session, principal, after=_decode_cursor(cursor), limit=limit + 1)
    page = links[:limit]
    next_cursor = _encode_cursor(page[-1]) if len(links) > limit else ""
    items = [{"link_id": str(link.id), "created_at": link.created_at.isoformat()} for link in page]
    return json_response({"links": items, "next_cursor": next_cursor})


@router.get("/links/{link_id}", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_link(link_id: str, request: Request, session: DbSession) -> Response:
    principal = await LINK_READER(request)
    link = await accessible_link(session, principal, link_id, readable_if_deleted=True)
    return json_response(await rendered_link(session, link))


@router.delete("/links/{link_id}", status_code=204, openapi_extra=LINK_WRITER.openapi)
async def delete_link(link_id: str, request: Request, session: DbSession) -> Response:
    """Disconnect: the link's data is erased and product routes answer 410; the record stays readable
    for 90 days."""
    principal = await LINK_WRITER(request)
    link = await accessible_link(session, principal, link_id)
    await link_service.delete(session, link)
    return Response(status_code=204)


def _encode_cursor(link: Link) -> str:
    return base64.urlsafe_b64encode(f"{link.created_at.isoformat()}|{link.id}".encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        created, _, link_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), uuid.UUID(link_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid_cursor() from exc


class UpdateLinkRequest(StorableInput):
    webhook: str | None = Field(default=None, min_length=1, max_length=2048)
    link_tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)


@router.patch("/links/{link_id}", openapi_extra=LINK_WRITER.openapi)
@answers_bad_input_with(link_bad_input)
async def update_link(
    link_id: str, body: UpdateLinkRequest, request: Request, session: DbSession
) -> Response:
    """Change the link's webhook (`null` removes it) or tags."""
    principal = await LINK_WRITER(request)
    link = await accessible_link(session, principal, link_id)
    fields = body.model_dump(exclude_unset=True)
    if "webhook" in fields:
        webhook = fields["webhook"]
        link.webhook_uri = await _webhook(request, principal, webhook) if webhook is not None else None
        link.webhook_format = "moneykit" if webhook is not None else None
    tags = fields.get("tags", fields.get("link_tags"))
    if tags is not None:
        link.tags = list(dict.fromkeys(tags))
    return json_response(await rendered_link(session, link))


@router.post("/links/{link_id}/reset", openapi_extra=LINK_WRITER.openapi)
@answers_bad_input_with(link_bad_input)
async def reset_link(link_id: str, request: Request, session: DbSession) -> Response:
    """Sandbox links only: force `error` / `auth_expired`, as if the user changed their password.
    Reconnect through a link session with `existing_link_id`."""
    principal = await LINK_WRITER(request)
    link = await accessible_link(session, principal, link_id)
    if principal.app_mode != "sandbox" or link.provider != "sandbox":
        raise LinkForbiddenAction("Only sandbox links can be reset.")
    await link_service.force_reconnect(session, link)
    return json_response(await rendered_link(session, link))


class ProductSettings(BodyPart):
    required: bool = False
    require_permission: bool = False
    prefetch: bool = False
    reason: str | None = Field(default=None, max_length=500)


class LinkSessionSettings(BodyPart):
    providers: list[str] | None = Field(default=None, max_length=10)
    products: dict[MoneyKitProduct, ProductSettings] | None = None
    countries: list[str] | None = Field(default=None, max_length=10)


class CreateLinkSessionRequest(StorableInput):
    customer_user: CustomerUser
    redirect_uri: RedirectUri | None = Field(default=None, max_length=2048)
    settings: LinkSessionSettings | None = None
    existing_link_id: str | None = Field(default=None, max_length=64)
    institution_id: str | None = Field(default=None, max_length=64)
    webhook: str | None = Field(default=None, min_length=1, max_length=2048)
    link_tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)


@router.post("/link-session", status_code=201, openapi_extra=LINK_WRITER.openapi)
@answers_bad_input_with(link_session_bad_input)
async def create_link_session(
    body: CreateLinkSessionRequest, request: Request, session: DbSession
) -> Response:
    """Start Connect for one end user: a 30-minute, single-use `link_session_token`. With
    `existing_link_id` the user reconnects that link (same institution, same `link_id`)."""
    principal = await LINK_WRITER(request)
    user = await get_or_create_end_user(session, principal.app_id, body.customer_user.id)
    existing = None
    if body.existing_link_id is not None:
        existing = await _relinkable(session, principal, body.existing_link_id)
        if existing.end_user_id != user.id:
            raise _field_refused("existing_link_id", "belongs to another customer_user")
    requested = list((body.settings.products or {}) if body.settings else {})
    products = list(dict.fromkeys(["accounts", *(requested or render.PRODUCTS)]))
    if body.institution_id is not None and existing is None:
        institution = await get_institution(session, body.institution_id)
        if institution is None or institution.provider == IMPORTED_PROVIDER:
            raise _field_refused("institution_id", "is not an institution this app can link")
    webhook = await _webhook(request, principal, body.webhook) if body.webhook is not None else None
    token = await connect.create_session(
        session, app_id=principal.app_id, end_user_id=user.id, redirect_uri=body.redirect_uri,
        products=products, institution_id=body.institution_id, existing_link=existing, webhook=webhook,
        tags=body.link_tags or (),
    )  # fmt: skip
    return json_response({"link_session_token": token}, status_code=201)


async def _relinkable(session: DbSession, principal: AppPrincipal, link_id: str) -> Link:
    """The link to reconnect; create_link_session declares only 403 for a link it cannot use."""
    try:
        return await accessible_link(session, principal, link_id)
    except (LinkNotFound, LinkDeleted) as exc:
        raise _field_refused("existing_link_id", "is not a link of this app") from exc


async def _webhook(request: Request, principal: AppPrincipal, uri: str) -> str:
    """The `webhook` field's URI, checked as the app configuration's webhook URI is."""
    docs = get_app_state(request).settings.base_url.rstrip("/") + WEBHOOK_URI_DOCS
    try:
        return await check_webhook_uri(uri, app_mode=principal.app_mode, documentation_url=docs)
    except InvalidWebhookUri as exc:
        exc.details = [{**detail, "location": "body", "field": "webhook"} for detail in exc.details]
        raise


def _field_refused(field: str, problem: str) -> ForbiddenConfig:
    details = [{"location": "body", "field": field, "message": problem}]
    return ForbiddenConfig(f"{field} {problem}.", details=details)
