"""Unified rows rendered as MX Platform API v20111101 JSON (docs: ../shared/specs/mx.md).

Money is a JSON number (float of the stored Decimal); a transaction's `amount` is positive and `type`
(CREDIT/DEBIT) gives its direction; a holding's `quantity` is a string, as the official client types it.
Ids are our UUIDs behind MX prefixes (`MBR-`, `ACT-`, `TRN-`, `HOL-`, `ACN-`, `ACO-`); users keep their
`end_users.guid` (already `USR-…`); an institution's `INS-` guid is derived from its code, so it never
changes. Datetimes are `YYYY-MM-DDTHH:MM:SSZ`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.models.account import Account, AccountNumber, AccountOwner
from gateway.models.end_user import EndUser
from gateway.models.institution import Institution
from gateway.models.investment import Holding, Security
from gateway.models.link import Link
from gateway.transactions.records import TransactionRecord

MEDIA_TYPE = "application/vnd.mx.api.v1+json"
CREDENTIAL_NAMESPACE = uuid.UUID("6f1c3f53-6c4e-4f7e-9a51-0d7b7d1e2a11")
INSTITUTION_NAMESPACE = uuid.UUID("2b9d7c61-4f0e-4c3a-8e57-51a3c6f0d9b4")

# v20250224's enum order; connection_status_id is the index (0..5 documented, the rest inferred).
CONNECTION_STATUSES = (
    "CREATED", "PREVENTED", "DENIED", "CHALLENGED", "REJECTED", "LOCKED", "CONNECTED", "IMPEDED",
    "RECONNECTED", "DEGRADED", "DISCONNECTED", "DISCONTINUED", "CLOSED", "DELAYED", "FAILED", "UPDATED",
    "DISABLED", "IMPORTED", "RESUMED", "EXPIRED", "IMPAIRED", "PENDING",
)  # fmt: skip
# A link in `error` keeps the provider's code; MX names the same outcomes this way.
ERROR_STATUSES = {
    "invalid_credentials": "DENIED",
    "user_input_incorrect": "REJECTED",
    "user_error": "EXPIRED",
    "auth_expired": "IMPAIRED",
    "user_oauth_denied": "DENIED",
}
ACCOUNT_TYPES = {
    "checking": "CHECKING", "savings": "SAVINGS", "credit_card": "CREDIT_CARD", "mortgage": "MORTGAGE",
    "loan": "LOAN", "line_of_credit": "LINE_OF_CREDIT", "prepaid": "PREPAID", "cash": "CASH",
}  # fmt: skip
FALLBACK_TYPES = {"depository": "CHECKING", "investment": "INVESTMENT", "liability": "LOAN", "other": "ANY"}
PREFIXES = {"member": "MBR-", "account": "ACT-", "transaction": "TRN-", "holding": "HOL-",
            "account_number": "ACN-", "account_owner": "ACO-"}  # fmt: skip


def guid(kind: str, value: uuid.UUID) -> str:
    return PREFIXES[kind] + str(value)


def parse_guid(kind: str, value: str) -> uuid.UUID | None:
    """The UUID behind an MX guid of `kind`, or None when it cannot be one of ours."""
    prefix = PREFIXES[kind]
    if not value.startswith(prefix):
        return None
    try:
        return uuid.UUID(value[len(prefix) :])
    except ValueError:
        return None


def number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def timestamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def connection_status_id(status: str | None) -> int | None:
    return CONNECTION_STATUSES.index(status) if status in CONNECTION_STATUSES else None


def pagination(page: int, per_page: int, total: int) -> dict[str, int]:
    return {"current_page": page, "per_page": per_page, "total_entries": total,
            "total_pages": (total + per_page - 1) // per_page}  # fmt: skip


# Users ----------------------------------------------------------------------------------------

USER_METADATA = "mx_metadata"
USER_DISABLED = "mx_is_disabled"


def user(row: EndUser) -> dict[str, Any]:
    extra = row.user_metadata or {}
    disabled = bool(extra.get(USER_DISABLED, False))
    return {"email": row.email, "guid": row.guid, "id": row.external_id, "is_disabled": disabled,
            "metadata": extra.get(USER_METADATA)}  # fmt: skip


# Institutions and credentials -----------------------------------------------------------------


def institution(row: Institution) -> dict[str, Any]:
    products = set(row.products)
    return {
        "code": row.id, "name": row.name, "url": row.url,
        "iso_country_code": (row.country_codes or ["US"])[0],
        "medium_logo_url": row.logo_url, "small_logo_url": row.logo_url,
        "forgot_password_url": None, "forgot_username_url": None, "trouble_signing_in_url": None,
        "instructional_text": None, "instructional_text_steps": [],
        "is_disabled_by_client": False, "supports_oauth": row.is_oauth,
        "supports_account_identification": "identity" in products,
        "supports_account_statement": False,
        "supports_account_verification": "account_numbers" in products,
        "supports_tax_document": False,
        "supports_transaction_history": "transactions" in products,
    }  # fmt: skip


def institution_guid(institution_id: str) -> str:
    """The institution's MX guid (`INS-…`): derived from its code, the same on every call."""
    return "INS-" + str(uuid.uuid5(INSTITUTION_NAMESPACE, institution_id))


def credential_guid(institution_id: str, field_name: str) -> str:
    return "CRD-" + str(uuid.uuid5(CREDENTIAL_NAMESPACE, f"{institution_id}:{field_name}"))


def credentials(row: Institution) -> list[dict[str, Any]]:
    return [
        {"display_order": order, "field_name": str(field["name"]).upper(),
         "field_type": "PASSWORD" if field.get("secret") else "TEXT",
         "guid": credential_guid(row.id, str(field["name"])), "label": field.get("label"),
         "type": "PASSWORD" if field.get("secret") else "TEXT"}
        for order, field in enumerate(row.credential_fields, start=1)
    ]  # fmt: skip


def challenges(pending: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Connect's pending prompts as MX challenges; the guid is `CRD-` + the prompt id."""
    if not pending:
        return []
    rendered = []
    for prompt in pending.get("prompts", []):
        options = [{"guid": f"CRD-{prompt['id']}-{i}", "label": o, "value": o}
                   for i, o in enumerate(prompt.get("options") or [], start=1)]  # fmt: skip
        rendered.append(
            {
                "field_name": prompt["id"],
                "guid": f"CRD-{prompt['id']}",
                "label": prompt["text"],
                "type": "OPTIONS" if options else "TEXT",
                "options": options,
                "image_data": None,
                "image_options": [],
            }  # fmt: skip
        )
    return rendered


# Members --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberState:
    """What a member's rendering needs beyond the link row: its MX status and whether it is aggregating."""

    connection_status: str
    is_being_aggregated: bool


def connection_status(link: Link, *, challenged: bool) -> str:
    if link.state == "connected":
        return "CONNECTED"
    if link.state in ("connecting", "awaiting_token_exchange"):
        return "CHALLENGED" if challenged else "CREATED"
    if link.state == "deleted":
        return "CLOSED"
    return ERROR_STATUSES.get(link.error_code or "", "FAILED")


def _aggregated_at(link: Link) -> str | None:
    return timestamp(link.last_synced_at)


def member(
    link: Link, place: Institution, owner_guid: str, owner_id: str | None, state: MemberState
) -> dict[str, Any]:
    return {
        "aggregated_at": _aggregated_at(link),
        "background_aggregation_is_disabled": False,
        "connection_status": state.connection_status,
        "connection_status_message": link.error_message,
        "guid": guid("member", link.id),
        "id": None,
        "institution_code": link.institution_id,
        "institution_guid": institution_guid(link.institution_id),
        "is_being_aggregated": state.is_being_aggregated,
        "is_managed_by_user": False,
        "is_manual": False,
        "is_oauth": place.is_oauth,
        "metadata": None,
        # The official client types these two as booleans (a spec bug); anything but null breaks it.
        "most_recent_job_detail_code": None,
        "most_recent_job_detail_text": None,
        "most_recent_job_guid": None,
        "name": place.name,
        "needs_updated_credentials": state.connection_status in ("DENIED", "IMPAIRED", "PREVENTED"),
        "oauth_window_uri": None,
        "successfully_aggregated_at": _aggregated_at(link),
        "use_cases": ["PFM"],
        "user_guid": owner_guid,
        "user_id": owner_id,
    }


def member_status(link: Link, state: MemberState, pending: dict[str, Any] | None) -> dict[str, Any]:
    refreshed = {product for product, status in link.product_status.items() if status.get("refreshed_at")}
    return {
        "aggregated_at": _aggregated_at(link),
        "challenges": challenges(pending),
        "connection_status": state.connection_status,
        "guid": guid("member", link.id),
        "has_processed_account_numbers": "account_numbers" in refreshed,
        "has_processed_accounts": "accounts" in refreshed,
        "has_processed_transactions": "transactions" in refreshed,
        "is_authenticated": link.state == "connected",
        "is_being_aggregated": state.is_being_aggregated,
        "successfully_aggregated_at": _aggregated_at(link),
    }


# Accounts and what hangs off them ------------------------------------------------------------


def account_type(row: Account) -> str:
    return ACCOUNT_TYPES.get(row.subtype or "") or FALLBACK_TYPES.get(row.type, "ANY")


def account(row: Account, link: Link, owner: EndUser) -> dict[str, Any]:
    is_credit = row.type == "liability"
    return {
        "account_number": row.mask, "account_ownership": "INDIVIDUAL",
        "available_balance": number(row.balance_available),
        "available_credit": number(row.balance_available) if is_credit else None,
        "balance": number(row.balance_current),
        "created_at": timestamp(row.created_at), "credit_limit": number(row.balance_limit),
        "currency_code": row.currency, "guid": guid("account", row.id), "id": row.provider_account_id,
        "imported_at": timestamp(row.balances_as_of), "institution_code": link.institution_id,
        "institution_guid": institution_guid(link.institution_id),
        "is_closed": False, "is_hidden": False, "is_manual": False,
        "member_guid": guid("member", link.id), "member_id": None, "member_is_managed_by_user": False,
        "metadata": None, "name": row.name, "nickname": None, "routing_number": None,
        "subtype": (row.subtype or "").upper() or None, "type": account_type(row),
        "updated_at": timestamp(row.updated_at), "user_guid": owner.guid, "user_id": owner.external_id,
    }  # fmt: skip


@dataclass(frozen=True)
class AccountPlace:
    """Where an account sits, for rows that name only its id (transactions, holdings, numbers, owners)."""

    account_guid: str
    account_id: str
    member_guid: str
    user_guid: str
    user_id: str | None


def place(row: Account, owner: EndUser) -> AccountPlace:
    return AccountPlace(guid("account", row.id), row.provider_account_id, guid("member", row.link_id),
                        owner.guid, owner.external_id)  # fmt: skip


def transaction(row: TransactionRecord, where: AccountPlace) -> dict[str, Any]:
    """A transaction of a page."""
    is_credit = row.direction == "credit"
    categories = list(row.categories or [])
    transacted = timestamp(row.datetime) or f"{row.date.isoformat()}T12:00:00Z"
    return {
        "account_guid": where.account_guid, "account_id": where.account_id,
        "amount": number(row.amount), "category": categories[-1] if categories else None,
        "category_guid": None, "check_number_string": None,
        "created_at": transacted, "currency_code": row.currency, "date": row.date.isoformat(),
        "description": row.description, "extended_transaction_type": None,
        "guid": guid("transaction", row.id), "id": None,
        "is_bill_pay": False, "is_direct_deposit": False, "is_expense": not is_credit, "is_fee": False,
        "is_income": is_credit, "is_international": None, "is_manual": False, "is_overdraft_fee": False,
        "is_payroll_advance": False, "is_recurring": None, "is_subscription": False,
        "latitude": None, "localized_description": None, "localized_memo": None, "longitude": None,
        "member_guid": where.member_guid, "member_is_managed_by_user": False, "memo": None,
        "merchant_category_code": None, "merchant_guid": None, "merchant_location_guid": None,
        "metadata": None, "original_description": row.original_description or row.description,
        "posted_at": None if row.pending else transacted,
        "status": "PENDING" if row.pending else "POSTED",
        "top_level_category": categories[0] if categories else None,
        "transacted_at": transacted, "type": "CREDIT" if is_credit else "DEBIT", "updated_at": transacted,
        "user_guid": where.user_guid, "user_id": where.user_id,
    }  # fmt: skip


def holding(row: Holding, security: Security | None, where: AccountPlace) -> dict[str, Any]:
    return {
        "account_guid": where.account_guid, "cost_basis": number(row.cost_basis),
        "created_at": timestamp(row.created_at), "currency_code": row.currency,
        "current_price": number(row.institution_price), "current_price_as_of": timestamp(row.as_of),
        "description": security.name if security else None, "guid": guid("holding", row.id),
        "holding_type": (security.type or "").upper() or None if security else None,
        "market_value": number(row.institution_value), "member_guid": where.member_guid,
        "quantity": str(row.quantity.normalize()) if row.quantity is not None else None,
        "symbol": security.ticker_symbol if security else None, "cusip": security.cusip if security else None,
        "user_guid": where.user_guid,
    }  # fmt: skip


def account_number(row: AccountNumber, where: AccountPlace) -> dict[str, Any]:
    return {
        "account_guid": where.account_guid, "account_number": row.account_number,
        "guid": guid("account_number", row.id), "institution_number": row.branch_number,
        "loan_guarantor": None, "loan_reference_number": None, "member_guid": where.member_guid,
        "passed_validation": True, "routing_number": row.routing_number, "sequence_number": None,
        "transit_number": None, "user_guid": where.user_guid,
    }  # fmt: skip


def account_owner(row: AccountOwner, where: AccountPlace) -> dict[str, Any]:
    name = row.names[0] if row.names else None
    first, _, last = (name or "").partition(" ")
    address = row.addresses[0] if row.addresses else {}
    data = address.get("data", address) if isinstance(address, dict) else {}
    email = row.emails[0].get("address") if row.emails else None
    phone = row.phone_numbers[0].get("number") if row.phone_numbers else None
    return {
        "account_guid": where.account_guid, "address": data.get("street"), "city": data.get("city"),
        "country": data.get("country"), "email": email, "first_name": first or None,
        "guid": guid("account_owner", row.id), "last_name": last or None, "member_guid": where.member_guid,
        "owner_name": name, "phone": phone, "postal_code": data.get("postal_code"),
        "state": data.get("region"), "user_guid": where.user_guid,
    }  # fmt: skip
