"""Plaid's sandbox helpers: `/sandbox/item/fire_webhook` and `/sandbox/item/reset_login`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from gateway.auth.principal import AppPrincipal
from gateway.collections.plaid.auth import ITEM_WRITER, item_link
from gateway.collections.plaid.errors import InvalidField, SandboxOnly, SandboxProductNotEnabled
from gateway.collections.plaid.requests import ItemRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.links.service import link_service
from gateway.models.base import utcnow
from gateway.webhooks.events import send_test_event

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])

# (webhook_type, webhook_code) -> the unified event a fired webhook stands for.
FIREABLE = {
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): "transactions.updates_available",
    ("TRANSACTIONS", "DEFAULT_UPDATE"): "transactions.default_update",
    ("TRANSACTIONS", "INITIAL_UPDATE"): "transactions.initial_update",
    ("TRANSACTIONS", "HISTORICAL_UPDATE"): "transactions.historical_update",
    ("ITEM", "ERROR"): "link.state_changed",
    ("ITEM", "USER_PERMISSION_REVOKED"): "link.state_changed",
    ("ITEM", "LOGIN_REPAIRED"): "link.login_repaired",
    ("ITEM", "PENDING_EXPIRATION"): "link.consent_expiring",
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): "link.new_accounts_available",
}


class FireWebhookRequest(ItemRequest):
    webhook_type: str = Field(default="TRANSACTIONS", max_length=64)
    webhook_code: str = Field(max_length=64)


def _sandbox_only(principal: AppPrincipal, path: str) -> None:
    if principal.app_mode != "sandbox":
        raise SandboxOnly(f"{path} is for sandbox apps only")


def _payload(code: str) -> dict[str, Any]:
    match code:
        case "ERROR":
            return {"state": "error", "error": "auth_expired"}
        case "USER_PERMISSION_REVOKED":
            return {"state": "error", "error": "user_permission_revoked"}
        case "PENDING_EXPIRATION":
            expires = (utcnow() + dt.timedelta(days=7)).replace(microsecond=0)
            return {"consent_expiration_time": expires.isoformat().replace("+00:00", "Z")}
    return {"new_transactions": 0}


@router.post("/sandbox/item/fire_webhook", openapi_extra=ITEM_WRITER.openapi)
async def sandbox_item_fire_webhook(
    body: FireWebhookRequest, request: Request, session: DbSession
) -> Response:
    """Send one of the Item's webhooks now, to its webhook, as a real (signed, retried) delivery."""
    principal = await ITEM_WRITER(request, body)
    _sandbox_only(principal, "/sandbox/item/fire_webhook")
    link = await item_link(session, principal, body)
    event_type = FIREABLE.get((body.webhook_type, body.webhook_code))
    if event_type is None:
        codes = ", ".join(f"{kind}/{code}" for kind, code in FIREABLE)
        raise InvalidField(f"webhook_type/webhook_code: this gateway can fire {codes}")
    if body.webhook_type == "TRANSACTIONS" and "transactions" not in link.products:
        raise SandboxProductNotEnabled("the item does not have the transactions product")
    if await send_test_event(session, link, event_type, _payload(body.webhook_code)) is None:
        raise InvalidField("webhook: the item has no webhook; set one with /item/webhook/update")
    return plaid_response({"webhook_fired": True})


@router.post("/sandbox/item/reset_login", openapi_extra=ITEM_WRITER.openapi)
async def sandbox_item_reset_login(body: ItemRequest, request: Request, session: DbSession) -> Response:
    """Put the Item in ITEM_LOGIN_REQUIRED (ITEM/ERROR goes to its webhook); relink it in update mode."""
    principal = await ITEM_WRITER(request, body)
    _sandbox_only(principal, "/sandbox/item/reset_login")
    link = await item_link(session, principal, body, for_update=True)
    await link_service.force_reconnect(session, link, "auth_expired")
    return plaid_response({"reset_login": True})
