"""Plaid webhooks: TRANSACTIONS and ITEM bodies for unified events, signed with `Plaid-Verification`.

The signature is an ES256 JWT (`iat`, `request_body_sha256` of the exact bytes sent) whose key
`/webhook_verification_key/get` returns by its `kid`, as Plaid's documentation tells receivers to check.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypedDict

from formats.plaid import ids
from formats.plaid.render import environment
from formats.signatures import body_signature_jwt
from formats.webhook import EventView, SendContext

LOGIN_REQUIRED_ERROR: dict[str, Any] = {
    "error_type": "ITEM_ERROR",
    "error_code": "ITEM_LOGIN_REQUIRED",
    "error_code_reason": None,
    "error_message": "the login details of this item have changed (credentials, MFA, or required user "
    "action) and a user login is required to update this information",
    "display_message": "Your login details have changed. Please log in again to reconnect.",
    "causes": [],
    "status": 400,
    "documentation_url": "https://plaid.com/docs/errors/item/#item_login_required",
    "suggested_action": None,
}
NEW_TRANSACTION_CODES = {
    "transactions.initial_update": "INITIAL_UPDATE",
    "transactions.historical_update": "HISTORICAL_UPDATE",
    "transactions.default_update": "DEFAULT_UPDATE",
}

# A webhook of Plaid's own products fired from the sandbox: its payload is the body's own fields.
SANDBOX_EVENT = "plaid.sandbox_webhook"


def sandbox_payload(
    webhook_type: str, webhook_code: str, account_ids: list[str], now: dt.datetime
) -> dict[str, Any]:
    """The payload of a sandbox-fired webhook of Plaid's own products: its type, code and fields,
    naming the Item's accounts where the body names accounts."""
    first = account_ids[0] if account_ids else ""
    report = f"sandbox-{uuid.uuid4()}"
    fields: dict[str, dict[str, Any]] = {
        "RECURRING_TRANSACTIONS_UPDATE": {"account_ids": account_ids},
        "SMS_MICRODEPOSITS_VERIFICATION": {"status": "MANUALLY_VERIFIED", "account_id": first},
        "PRODUCT_READY": {"asset_report_id": report},
        "ERROR": {"asset_report_id": report, "error": None},
        "USER_ACCOUNT_REVOKED": {"account_id": first},
        "PENDING_DISCONNECT": {"reason": "INSTITUTION_MIGRATION",
                               "disconnect_time": _zulu(now + dt.timedelta(days=7))},
        "AUTHORIZATION_GRANTED": {},
    }  # fmt: skip
    updates: dict[str, dict[str, Any]] = {
        "AUTH": {"account_ids_with_new_auth": [],
                 "account_ids_with_updated_auth": {a: ["ACCOUNT_NUMBER"] for a in account_ids}},
        "IDENTITY": {"account_ids_with_updated_identity": {a: ["NAMES"] for a in account_ids}},
        "HOLDINGS": {"new_holdings": 0, "updated_holdings": 0},
        "INVESTMENTS_TRANSACTIONS": {"new_investments_transactions": 0,
                                     "cancelled_investments_transactions": 0},
        "LIABILITIES": {"account_ids_with_new_liabilities": [], "account_ids_with_updated_liabilities": {
            a: ["next_payment_due_date"] for a in account_ids}},
    }  # fmt: skip
    if webhook_code == "DEFAULT_UPDATE":
        chosen = {"error": None, **updates[webhook_type]}
    else:
        chosen = fields[webhook_code]
    return {"webhook_type": webhook_type, "webhook_code": webhook_code, "fields": chosen}


def _zulu(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


class PlaidEventContext(TypedDict):
    """What Plaid bodies need beyond the event: the app's mode, which names their `environment`."""

    app_mode: str


class PlaidWebhooks:
    """Renders with a `PlaidEventContext` as `EventView.context`."""

    name = "plaid"

    def render(self, event: EventView, idempotency_key: str) -> dict[str, Any] | None:
        if event.link_id is None:
            return None
        specific = _transactions(event) or _item(event) or _sandbox(event)
        if specific is None:
            return None
        webhook_type, webhook_code, fields = specific
        item_id = ids.encode(event.link_id)
        return {"webhook_type": webhook_type, "webhook_code": webhook_code, "item_id": item_id, **fields,
                "environment": environment(event.context["app_mode"])}  # fmt: skip

    def headers(self, context: SendContext) -> dict[str, str]:
        return {"Plaid-Verification": body_signature_jwt(context.ring, context.body)}


def _transactions(event: EventView) -> tuple[str, str, dict[str, Any]] | None:
    payload = event.payload
    if event.event_type == "transactions.updates_available":
        return "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", {
            "initial_update_complete": True, "historical_update_complete": True,
        }  # fmt: skip
    if event.event_type in NEW_TRANSACTION_CODES:
        fields = {"new_transactions": int(payload.get("new_transactions", 0)), "error": None}
        return "TRANSACTIONS", NEW_TRANSACTION_CODES[event.event_type], fields
    if event.event_type == "transactions.removed":
        removed = [
            ids.pending_id(uuid.UUID(row["id"])) if row["pending"] else ids.encode(uuid.UUID(row["id"]))
            for row in payload.get("transactions", [])
        ]
        return "TRANSACTIONS", "TRANSACTIONS_REMOVED", {"removed_transactions": removed, "error": None}
    return None


def _item(event: EventView) -> tuple[str, str, dict[str, Any]] | None:
    payload = event.payload
    match event.event_type:
        case "link.state_changed" if payload.get("state") == "error":
            if "user_permission_revoked" in (payload.get("error"), payload.get("reason")):
                return "ITEM", "USER_PERMISSION_REVOKED", {"error": None}
            return "ITEM", "ERROR", {"error": LOGIN_REQUIRED_ERROR}
        case "link.login_repaired":
            return "ITEM", "LOGIN_REPAIRED", {}
        case "link.webhook_updated":
            return (
                "ITEM",
                "WEBHOOK_UPDATE_ACKNOWLEDGED",
                {"new_webhook_url": payload["webhook"], "error": None},
            )
        case "link.consent_expiring":
            return (
                "ITEM",
                "PENDING_EXPIRATION",
                {"consent_expiration_time": payload["consent_expiration_time"]},
            )
        case "link.new_accounts_available":
            return "ITEM", "NEW_ACCOUNTS_AVAILABLE", {"error": None}
    return None


def _sandbox(event: EventView) -> tuple[str, str, dict[str, Any]] | None:
    if event.event_type != SANDBOX_EVENT:
        return None
    payload = event.payload
    return str(payload["webhook_type"]), str(payload["webhook_code"]), dict(payload["fields"])


PLAID_WEBHOOKS = PlaidWebhooks()
