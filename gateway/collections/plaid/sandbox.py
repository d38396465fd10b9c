"""Plaid's sandbox helpers: `/sandbox/item/fire_webhook` and `/sandbox/item/reset_login`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from formats.plaid import ids
from formats.plaid.webhooks import SANDBOX_EVENT, sandbox_payload
from gateway.auth.principal import AppPrincipal
from gateway.collections.plaid.auth import ITEM_WRITER, item_link
from gateway.collections.plaid.errors import InvalidField, SandboxOnly, SandboxProductNotEnabled
from gateway.collections.plaid.requests import ItemRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.links.service import link_service
from gateway.models.base import utcnow
from gateway.models.link import Link
from gateway.products.liabilities import is_credit_card
from gateway.products.repository import product_reader
from gateway.webhooks.events import send_test_event

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])

# (webhook_type, webhook_code) -> the unified event a fired webhook stands for; the codes of Plaid's
# own products (no unified event) fire `SANDBOX_EVENT`, whose body the Plaid format builds.
FIREABLE = {
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): "transactions.updates_available",
    ("TRANSACTIONS", "DEFAULT_UPDATE"): "transactions.default_update",
    ("TRANSACTIONS", "INITIAL_UPDATE"): "transactions.initial_update",
    ("TRANSACTIONS", "HISTORICAL_UPDATE"): "transactions.historical_update",
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): SANDBOX_EVENT,
    ("AUTH", "DEFAULT_UPDATE"): SANDBOX_EVENT,
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION"): SANDBOX_EVENT,
    ("IDENTITY", "DEFAULT_UPDATE"): SANDBOX_EVENT,
    ("HOLDINGS", "DEFAULT_UPDATE"): SANDBOX_EVENT,
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): SANDBOX_EVENT,
    ("LIABILITIES", "DEFAULT_UPDATE"): SANDBOX_EVENT,
    ("ASSETS", "PRODUCT_READY"): SANDBOX_EVENT,
    ("ASSETS", "ERROR"): SANDBOX_EVENT,
    ("ITEM", "ERROR"): "link.state_changed",
    ("ITEM", "USER_PERMISSION_REVOKED"): "link.state_changed",
    ("ITEM", "LOGIN_REPAIRED"): "link.login_repaired",
    ("ITEM", "PENDING_EXPIRATION"): "link.consent_expiring",
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): "link.new_accounts_available",
    ("ITEM", "USER_ACCOUNT_REVOKED"): SANDBOX_EVENT,
    ("ITEM", "PENDING_DISCONNECT"): SANDBOX_EVENT,
    ("ITEM", "AUTHORIZATION_GRANTED"): SANDBOX_EVENT,
}
# The webhook_type of a code sent without one, as the description groups them.
DEFAULT_TYPES = {"DEFAULT_UPDATE": "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE": "TRANSACTIONS",
                 "INITIAL_UPDATE": "TRANSACTIONS", "HISTORICAL_UPDATE": "TRANSACTIONS",
                 "RECURRING_TRANSACTIONS_UPDATE": "TRANSACTIONS", "SMS_MICRODEPOSITS_VERIFICATION": "AUTH",
                 "PRODUCT_READY": "ASSETS", "ERROR": "ASSETS"}  # fmt: skip
# The unified product an Item needs for a webhook_type (Linkgate has no assets product).
TYPE_PRODUCTS = {"TRANSACTIONS": "transactions", "AUTH": "account_numbers", "IDENTITY": "identity",
                 "HOLDINGS": "investments", "INVESTMENTS_TRANSACTIONS": "investments",
                 "LIABILITIES": "accounts", "ASSETS": "assets"}  # fmt: skip


class FireWebhookRequest(ItemRequest):
    webhook_type: str | None = Field(default=None, max_length=64)
    webhook_code: str = Field(max_length=64)

    @property
    def kind(self) -> tuple[str, str]:
        """(webhook_type, webhook_code), the type inferred from the code when it was left out."""
        return self.webhook_type or DEFAULT_TYPES.get(self.webhook_code, "ITEM"), self.webhook_code


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


async def _event(session: DbSession, link: Link, kind: tuple[str, str]) -> tuple[str, dict[str, Any]]:
    """The unified event type and payload a fired (webhook_type, webhook_code) stands for."""
    event_type = FIREABLE.get(kind)
    if event_type is None:
        codes = ", ".join(f"{webhook_type}/{code}" for webhook_type, code in FIREABLE)
        raise InvalidField(f"webhook_type/webhook_code: this gateway can fire {codes}")
    product = TYPE_PRODUCTS.get(kind[0])
    if product is not None and product not in link.products:
        raise SandboxProductNotEnabled(f"the item does not have the product {kind[0]} webhooks need")
    if event_type != SANDBOX_EVENT:
        return event_type, _payload(kind[1])
    accounts = await product_reader.accounts(session, link.app_id, link.id)
    if kind[0] == "LIABILITIES":
        accounts = [account for account in accounts if is_credit_card(account)]
    return event_type, sandbox_payload(*kind, [ids.encode(a.id) for a in accounts], utcnow())


@router.post("/sandbox/item/fire_webhook", openapi_extra=ITEM_WRITER.openapi)
async def sandbox_item_fire_webhook(
    body: FireWebhookRequest, request: Request, session: DbSession
) -> Response:
    """Send one of the Item's webhooks now, to its webhook, as a real (signed, retried) delivery: every
    code Plaid's sandbox fires, with `webhook_type` inferred from the code when left out."""
    principal = await ITEM_WRITER(request, body)
    _sandbox_only(principal, "/sandbox/item/fire_webhook")
    link = await item_link(session, principal, body)
    event_type, payload = await _event(session, link, body.kind)
    if await send_test_event(session, link, event_type, payload) is None:
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
