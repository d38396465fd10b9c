"""The fake's judge: requests, answers and webhooks held against the Plaid OpenAPI file
(/work/shared/specs/openapi/plaid-2020-09-14.yml) through tests/support/conformance/openapi.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.support.conformance.openapi import Description, load

SPEC_FILE = "plaid-2020-09-14.yml"
WEBHOOK_SCHEMAS: dict[tuple[str, str], str] = {
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): "SyncUpdatesAvailableWebhook",
    ("TRANSACTIONS", "DEFAULT_UPDATE"): "DefaultUpdateWebhook",
    ("TRANSACTIONS", "INITIAL_UPDATE"): "InitialUpdateWebhook",
    ("TRANSACTIONS", "HISTORICAL_UPDATE"): "HistoricalUpdateWebhook",
    ("TRANSACTIONS", "TRANSACTIONS_REMOVED"): "TransactionsRemovedWebhook",
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): "RecurringTransactionsUpdateWebhook",
    ("ITEM", "ERROR"): "ItemErrorWebhook",
    ("ITEM", "PENDING_EXPIRATION"): "PendingExpirationWebhook",
    ("ITEM", "PENDING_DISCONNECT"): "PendingDisconnectWebhook",
    ("ITEM", "USER_PERMISSION_REVOKED"): "UserPermissionRevokedWebhook",
    ("ITEM", "USER_ACCOUNT_REVOKED"): "UserAccountRevokedWebhook",
    ("ITEM", "LOGIN_REPAIRED"): "ItemLoginRepairedWebhook",
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): "NewAccountsAvailableWebhook",
    ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED"): "WebhookUpdateAcknowledgedWebhook",
    ("HOLDINGS", "DEFAULT_UPDATE"): "HoldingsDefaultUpdateWebhook",
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): "InvestmentsDefaultUpdateWebhook",
}


def description() -> Description:
    return load(SPEC_FILE)


def request_problems(path: str, headers: Mapping[str, str], body: Any, *, require_version: bool) -> list[str]:
    """What the description refuses in a request to `path` (body credentials count as credentials)."""
    spec = description()
    operation = spec.operation("post", path)
    if operation is None:
        return [f"POST {path} is not an operation of the description"]
    if not require_version and not any(name.lower() == "plaid-version" for name in headers):
        headers = {**headers, "Plaid-Version": "(not checked)"}
    return spec.request_problems(operation, headers, body, body_credentials=True)


def response_problems(path: str, status: int, body: bytes) -> list[str]:
    spec = description()
    operation = spec.operation("post", path)
    if operation is None:
        return [f"POST {path} is not an operation of the description"]
    return spec.problems(operation, status, "application/json", body)


def check_webhook(payload: Mapping[str, Any]) -> None:
    """Refuse to send a webhook body its component schema does not allow (a bug in the fake or the test)."""
    name = WEBHOOK_SCHEMAS.get((str(payload.get("webhook_type")), str(payload.get("webhook_code"))))
    if name is None:
        return
    problems = description().component_problems(name, dict(payload))
    if problems:
        raise AssertionError(f"the webhook body is not a valid {name}: {problems}")
