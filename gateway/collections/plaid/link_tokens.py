"""Plaid Link's tokens: `/link/token/create` (a Connect session) and `/link/token/get` (what it was made
with and how its session went), `/sandbox/public_token/create` (the sandbox shortcut),
`/item/public_token/exchange` (a public token for an access token) and `/item/access_token/invalidate`
(a new access token in place of the old)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from formats.plaid import ids
from formats.plaid.render import UNIFIED_PRODUCTS, environment, plaid_products
from gateway.auth.principal import AppPrincipal
from gateway.collections.plaid.auth import APP_READER, ITEM_WRITER, LINK_WRITER, item_link
from gateway.collections.plaid.errors import (
    InvalidField,
    InvalidInstitution,
    InvalidPublicToken,
    SandboxOnly,
    plaid_error,
)
from gateway.collections.plaid.requests import ItemRequest, PlaidRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.developers.configuration import InvalidWebhookUri, check_webhook_uri
from gateway.developers.schemas import BodyPart
from gateway.end_users.service import get_or_create_end_user
from gateway.institutions.catalog import get_institution
from gateway.links import connect
from gateway.links.access_tokens import issue_access_token, replace_access_tokens
from gateway.links.readable import get_link
from gateway.links.redirects import RedirectUri
from gateway.links.sandbox_shortcut import SandboxLoginRefused, link_sandbox_institution
from gateway.links.service import link_service
from gateway.links.sessions import app_session_by_token, issue_exchangeable_token, redeem_exchangeable_token
from gateway.models.base import utcnow
from gateway.models.institution import Institution
from gateway.models.link import LinkSession
from gateway.state import get_app_state

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])

NEW_ITEM_LIFETIME = dt.timedelta(hours=4)
UPDATE_MODE_LIFETIME = dt.timedelta(minutes=30)
WEBHOOK_DOCS = "https://plaid.com/docs/api/items/#itemwebhookupdate"
PlaidProduct = Annotated[str, Field(max_length=64)]
InvalidCredentials = plaid_error(
    400,
    "ITEM_ERROR",
    "INVALID_CREDENTIALS",
    "the provided credentials were not correct",
    display="The provided credentials were not correct. Please try again.",
)
InvalidProduct = plaid_error(400, "INVALID_INPUT", "INVALID_PRODUCT", "a requested product is not supported")
InvalidLinkToken = plaid_error(400, "INVALID_INPUT", "INVALID_LINK_TOKEN", "the link_token is not valid")
# Session states in which the end user has not yet done anything.
UNSTARTED_STATES = ("created", "institution_selected")


class LinkUser(BodyPart):
    model_config = ConfigDict(extra="ignore")

    client_user_id: str = Field(min_length=1, max_length=255)


class LinkTokenCreateRequest(PlaidRequest):
    client_name: str = Field(min_length=1, max_length=30)
    language: str = Field(min_length=2, max_length=5)
    country_codes: list[Annotated[str, Field(min_length=2, max_length=2)]] = Field(
        min_length=1, max_length=20
    )
    user: LinkUser
    products: list[PlaidProduct] | None = Field(default=None, max_length=10)
    webhook: str | None = Field(default=None, max_length=2048)
    access_token: str | None = Field(default=None, max_length=200)
    redirect_uri: RedirectUri | None = Field(default=None, max_length=2048)
    institution_id: str | None = Field(default=None, max_length=64)


class SandboxOptions(BodyPart):
    model_config = ConfigDict(extra="ignore")

    webhook: str | None = Field(default=None, max_length=2048)
    override_username: str | None = Field(default=None, max_length=255)
    override_password: str | None = Field(default=None, max_length=255)


class SandboxPublicTokenCreateRequest(PlaidRequest):
    institution_id: str = Field(min_length=1, max_length=64)
    initial_products: list[PlaidProduct] = Field(min_length=1, max_length=10)
    options: SandboxOptions | None = None
    user_id: str | None = Field(default=None, max_length=255)


class LinkTokenGetRequest(PlaidRequest):
    link_token: str = Field(min_length=1, max_length=200)


class PublicTokenExchangeRequest(PlaidRequest):
    public_token: str = Field(min_length=1, max_length=200)


def unified_products(products: list[str] | None) -> list[str]:
    """Plaid product names as ours (`auth` is account numbers); accounts always come along."""
    unknown = [p for p in products or [] if p not in UNIFIED_PRODUCTS]
    if unknown:
        raise InvalidProduct(f"products not supported by this gateway: {', '.join(unknown)}")
    chosen = [UNIFIED_PRODUCTS[p] for p in products or ["transactions"]]
    return list(dict.fromkeys(["accounts", *chosen]))


def _prefix(principal: AppPrincipal, kind: str) -> str:
    return f"{kind}-{environment(principal.app_mode)}-"


async def _plaid_institution(session: DbSession, institution_id: str) -> Institution:
    institution = await get_institution(session, institution_id)
    if institution is None or institution.provider == "import":
        raise InvalidInstitution(f"invalid institution_id provided: {institution_id}")
    return institution


@router.post("/link/token/create", openapi_extra=LINK_WRITER.openapi)
async def link_token_create(body: LinkTokenCreateRequest, request: Request, session: DbSession) -> Response:
    """A Link token: opens the hosted Connect page (`hosted_link_url`) for this user; on success it hands
    the app a `public_token`. With `access_token` it relinks that Item (update mode)."""
    principal = await LINK_WRITER(request, body)
    existing = await item_link(session, principal, ItemRequest(access_token=body.access_token)) \
        if body.access_token is not None else None  # fmt: skip
    if body.institution_id is not None and existing is None:
        await _plaid_institution(session, body.institution_id)
    webhook = await checked_webhook(body.webhook, principal)
    user = await get_or_create_end_user(session, principal.app_id, body.user.client_user_id)
    lifetime = UPDATE_MODE_LIFETIME if existing is not None else NEW_ITEM_LIFETIME
    token = f"{_prefix(principal, 'link')}{uuid.uuid4()}"
    await connect.create_session(
        session, app_id=principal.app_id, end_user_id=user.id, redirect_uri=body.redirect_uri,
        products=existing.products if existing is not None else unified_products(body.products),
        institution_id=body.institution_id, existing_link=existing, webhook=webhook,
        webhook_format="plaid", token=token, lifetime=lifetime,
        exchangeable_token_prefix=_prefix(principal, "public"), relink_completes=True,
        metadata=_link_metadata(body, existing.products if existing is not None else None),
    )  # fmt: skip
    base_url = get_app_state(request).settings.base_url.rstrip("/")
    return plaid_response({
        "link_token": token,
        "expiration": (utcnow() + lifetime).isoformat().replace("+00:00", "Z"),
        "hosted_link_url": f"{base_url}/connect?link_session_token={token}",
    })  # fmt: skip


def _link_metadata(body: LinkTokenCreateRequest, existing_products: list[str] | None) -> dict[str, object]:
    """What `/link/token/get` shows of the request that made the token."""
    if existing_products is not None:
        products = plaid_products(existing_products)
    else:
        products = list(dict.fromkeys(body.products or ["transactions"]))
    return {"client_name": body.client_name, "language": body.language, "country_codes": body.country_codes,
            "initial_products": products}  # fmt: skip


@router.post("/link/token/get", openapi_extra=APP_READER.openapi)
async def link_token_get(body: LinkTokenGetRequest, request: Request, session: DbSession) -> Response:
    """A Link token the app made: its creation and expiry, what it was made with, and its session once
    the end user has started it. Another app's token answers like a made-up one."""
    principal = await APP_READER(request, body)
    link_session = await app_session_by_token(session, principal.app_id, body.link_token)
    if link_session is None or not link_session.settings.get("metadata"):  # not made by /link/token/create
        raise InvalidLinkToken()
    return plaid_response(_link_token(body.link_token, link_session))


def _link_token(token: str, link_session: LinkSession) -> dict[str, object]:
    settings = link_session.settings
    metadata = settings.get("metadata") or {}
    sessions = [] if link_session.state in UNSTARTED_STATES else [{
        "link_session_id": ids.encode(link_session.id),
        "started_at": link_session.created_at,
        "finished_at": link_session.used_at,
    }]  # fmt: skip
    return {
        "link_token": token,
        "created_at": link_session.created_at,
        "expiration": link_session.expires_at,
        "metadata": {
            "initial_products": metadata.get("initial_products") or plaid_products(link_session.products),
            "webhook": settings.get("webhook"),
            "country_codes": metadata.get("country_codes", []),
            "language": metadata.get("language"),
            "redirect_uri": link_session.redirect_uri,
            "client_name": metadata.get("client_name"),
        },
        "link_sessions": sessions,
    }


async def checked_webhook(uri: str | None, principal: AppPrincipal) -> str | None:
    if uri is None or not uri.strip():
        return None
    try:
        return await check_webhook_uri(uri, app_mode=principal.app_mode, documentation_url=WEBHOOK_DOCS)
    except InvalidWebhookUri as exc:
        raise InvalidField(f"webhook: {exc.message}") from exc


@router.post("/sandbox/public_token/create", openapi_extra=LINK_WRITER.openapi)
async def sandbox_public_token_create(
    body: SandboxPublicTokenCreateRequest, request: Request, session: DbSession
) -> Response:
    """Sandbox apps only: an Item at a test institution without Link, as a public token to exchange."""
    principal = await LINK_WRITER(request, body)
    if principal.app_mode != "sandbox":
        raise SandboxOnly("/sandbox/public_token/create is for sandbox apps only")
    institution = await _plaid_institution(session, body.institution_id)
    if institution.provider != "sandbox":
        raise InvalidInstitution(f"{body.institution_id} is not a sandbox institution")
    options = body.options or SandboxOptions()
    webhook = await checked_webhook(options.webhook, principal)
    user = await get_or_create_end_user(session, principal.app_id, body.user_id or "plaid-sandbox-user")
    products = unified_products(body.initial_products)
    try:
        link = await link_sandbox_institution(
            session, box=SecretBox(get_app_state(request).auth.master_key), app_id=principal.app_id,
            end_user_id=user.id, institution=institution, products=products,
            **_sandbox_login(options),
        )  # fmt: skip
    except SandboxLoginRefused as exc:
        if exc.error_code == "invalid_credentials":
            raise InvalidCredentials() from exc
        raise InvalidField(exc.message) from exc
    if webhook is not None:
        link.webhook_uri, link.webhook_format = webhook, "plaid"
    token = await issue_exchangeable_token(session, link, products, prefix=_prefix(principal, "public"))
    return plaid_response({"public_token": token})


def _sandbox_login(options: SandboxOptions) -> dict[str, str | None]:
    """Plaid's defaults: an override names the other part as `user_good` / `pass_good`."""
    if options.override_username is None and options.override_password is None:
        return {"username": None, "password": None}  # the institution's own good login
    return {"username": options.override_username or "user_good",
            "password": options.override_password or "pass_good"}  # fmt: skip


@router.post("/item/public_token/exchange", openapi_extra=LINK_WRITER.openapi)
async def item_public_token_exchange(
    body: PublicTokenExchangeRequest, request: Request, session: DbSession
) -> Response:
    """Trade the single-use public token (30 minutes) for the Item's access token; data starts arriving."""
    principal = await LINK_WRITER(request, body)
    link_id = await redeem_exchangeable_token(session, principal.app_id, body.public_token)
    link = await get_link(session, principal, link_id, for_update=True) if link_id else None
    if link is None or link.state != "awaiting_token_exchange":
        raise InvalidPublicToken()
    await link_service.complete_exchange(session, link)
    access_token = await issue_access_token(session, link, prefix=_prefix(principal, "access"))
    return plaid_response({"access_token": access_token, "item_id": ids.encode(link.id)})


@router.post("/item/access_token/invalidate", openapi_extra=ITEM_WRITER.openapi)
async def item_access_token_invalidate(body: ItemRequest, request: Request, session: DbSession) -> Response:
    """Rotate the Item's access token: the old one stops working at once, the new one works."""
    principal = await ITEM_WRITER(request, body)
    link = await item_link(session, principal, body, for_update=True)
    new_token = await replace_access_tokens(session, link, prefix=_prefix(principal, "access"))
    return plaid_response({"new_access_token": new_token})
