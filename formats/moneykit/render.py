"""Unified schema → MoneyKit 2023-02-18 JSON, as plain dicts for a fast encoder.

Wire rules the official SDK enforces: transaction amounts are non-negative decimal *strings* with a
credit/debit `type`; balances are JSON *numbers*; dates are `YYYY-MM-DD`; optional fields are left out
rather than sent as null; enums are closed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.models.account import Account, AccountNumber, AccountOwner
from gateway.models.institution import Institution
from gateway.models.investment import Holding, InvestmentTransaction, Security
from gateway.models.link import Link
from gateway.transactions.records import TransactionRecord

API_VERSION = "2023-02-18"
PRODUCTS = ("accounts", "account_numbers", "identity", "transactions", "investments")
# MoneyKit names the aggregator; our sandbox plays MoneyKit's own sandbox.
PROVIDER_NAMES = {"sandbox": "moneykit", "plaid": "plaid", "mx": "mx", "yodlee": "yodlee"}


CENTS = Decimal("0.01")


def money_text(value: Decimal) -> str:
    """A decimal string with two decimals at least, more only when they carry value: 4.5 → "4.50"."""
    trimmed = value.normalize()
    exponent = trimmed.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        trimmed = value.quantize(CENTS)
    return f"{trimmed:f}"


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def institution(row: Institution) -> dict[str, Any]:
    return _compact(
        {
            "institution_id": row.id,
            "institution_id_aliases": [],
            "name": row.name,
            "country": (row.country_codes or ["US"])[0],
            "domain": (row.url or "").removeprefix("https://").removeprefix("http://").split("/")[0] or None,
            "color": row.color,
            "color_dark": row.color,
            "is_featured": row.is_featured,
        }
    )


def _product_status(link: Link, product: str) -> dict[str, Any]:
    status = link.product_status.get(product, {})
    rendered = _compact(
        {
            "refreshed_at": status.get("refreshed_at"),
            "last_attempted_at": status.get("last_attempted_at"),
            "error_code": status.get("error_code"),
        }
    )
    if product == "transactions":
        rendered["has_history"] = bool(status.get("refreshed_at"))
    return rendered


def link_common(link: Link, institution_row: Institution) -> dict[str, Any]:
    granted = [product for product in PRODUCTS if product in link.products]
    return _compact(
        {
            "link_id": str(link.id),
            "institution_id": institution_row.id,
            "institution_name": institution_row.name,
            "institution_avatar": institution_row.logo_url or "",
            "state": link.state,
            "error_code": link.error_code,
            "last_synced_at": link.last_synced_at.isoformat() if link.last_synced_at else None,
            "provider": PROVIDER_NAMES.get(link.provider, "moneykit"),
            "link_tags": list(link.tags),
            "tags": list(link.tags),
            "webhook": link.webhook_uri,
            "products": {product: _product_status(link, product) for product in granted},
            "available_products": [p for p in PRODUCTS if p in (institution_row.products or PRODUCTS)],
        }
    )


def account_type(row: Account) -> str:
    return f"{row.type}.{row.subtype}" if row.subtype else row.type


def account(row: Account) -> dict[str, Any]:
    balances = _compact(
        {
            "currency": row.currency,
            "available": _number(row.balance_available),
            "current": _number(row.balance_current),
            "limit": _number(row.balance_limit),
            "balance_date": row.balances_as_of.isoformat() if row.balances_as_of else None,
        }
    )
    return _compact(
        {
            "account_id": str(row.id),
            "account_type": account_type(row),
            "name": row.name,
            "account_mask": row.mask,
            "balances": balances,
        }
    )


def basic_account(row: Account, link: Link) -> dict[str, Any]:
    """BasicAccountDetails: how `/users/{id}/transactions` names an account, with its link and institution."""
    return _compact(
        {
            "name": row.name,
            "last_synced_at": link.last_synced_at.isoformat() if link.last_synced_at else None,
            "institution_id": link.institution_id,
            "link_id": str(link.id),
        }
    )


def transaction(row: TransactionRecord) -> dict[str, Any]:
    return _compact(
        {
            "transaction_id": str(row.id),
            "account_id": str(row.account_id),
            "amount": money_text(row.amount),
            "type": row.direction,
            "currency": row.currency,
            "date": row.date.isoformat(),
            "datetime": row.datetime.isoformat() if row.datetime else None,
            "description": row.description,
            "raw_description": row.original_description,
            "pending": row.pending,
            "category": row.categories[0] if row.categories else None,
        }
    )


def _decimal_text(value: Decimal | None) -> str | None:
    return f"{value.normalize():f}" if value is not None else None


def account_with_numbers(row: Account, numbers: list[AccountNumber]) -> dict[str, Any]:
    ach = [
        _compact({"account_number": n.account_number, "routing_number": n.routing_number or "",
                  "wire_routing_number": n.wire_routing_number})
        for n in numbers if n.kind == "ach"
    ]  # fmt: skip
    eft = [
        {"account_number": n.account_number, "institution_number": n.routing_number or "",
         "branch_number": n.branch_number or ""}
        for n in numbers if n.kind == "eft"
    ]  # fmt: skip
    bacs = [
        {"account_number": n.account_number, "sort_code": n.routing_number or ""}
        for n in numbers
        if n.kind == "bacs"
    ]
    international = [
        {"iban": n.account_number, "bic": n.bic or ""} for n in numbers if n.kind == "international"
    ]
    return {**account(row), "numbers": {"ach": ach, "eft": eft, "bacs": bacs, "international": international}}


PHONE_TYPES = {"home", "work", "mobile", "other"}


def owner(row: AccountOwner) -> dict[str, Any]:
    return {
        "names": list(row.names),
        "addresses": [
            _compact(
                {
                    key: address.get(key)
                    for key in ("city", "country", "postal_code", "region", "street", "primary")
                }
            )
            for address in row.addresses
        ],
        "phone_numbers": [
            _compact(
                {
                    "number": phone["number"],
                    "primary": phone.get("primary"),
                    "type": phone.get("type") if phone.get("type") in PHONE_TYPES else "other",
                }
            )
            for phone in row.phone_numbers
        ],  # fmt: skip
        "emails": [
            _compact({"address": email["address"], "primary": email.get("primary")}) for email in row.emails
        ],
    }


def security(row: Security) -> dict[str, Any]:
    return _compact(
        {
            "security_id": str(row.id),
            "name": row.name or row.ticker_symbol or "Unknown security",
            "type": row.type or "unknown",
            "currency": row.currency,
            "ticker": row.ticker_symbol,
            "isin": row.isin,
            "sedol": row.sedol,
            "close_price": _decimal_text(row.close_price),
            "close_date": row.close_price_as_of.isoformat() if row.close_price_as_of else None,
        }
    )


def holding(row: Holding) -> dict[str, Any]:
    return _compact(
        {
            "account_id": str(row.account_id),
            "security_id": str(row.security_id),
            "quantity": _decimal_text(row.quantity),
            "price": _decimal_text(row.institution_price),
            "value": _decimal_text(row.institution_value),
            "cost_basis": _decimal_text(row.cost_basis),
        }
    )


def investment_transaction(row: InvestmentTransaction) -> dict[str, Any]:
    return _compact(
        {
            "investment_transaction_id": str(row.id),
            "account_id": str(row.account_id),
            "amount": money_text(row.amount),
            "date": row.date.isoformat(),
            "description": row.name,
            "type": row.type,
            "fees": _decimal_text(row.fees),
            "price": _decimal_text(row.price),
            "quantity": _decimal_text(row.quantity),
            "security_id": str(row.security_id) if row.security_id else None,
        }
    )
