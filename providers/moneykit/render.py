"""Unified schema → MoneyKit 2023-02-18 JSON, as plain dicts for a fast encoder.

Wire rules the official SDK enforces: transaction amounts are non-negative decimal *strings* with a
credit/debit `type`; balances are JSON *numbers*; dates are `YYYY-MM-DD`; optional fields are left out
rather than sent as null; enums are closed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.models.account import Account
from gateway.models.institution import Institution
from gateway.models.link import Link
from gateway.models.transaction import Transaction

API_VERSION = "2023-02-18"
PRODUCTS = ("accounts", "account_numbers", "identity", "transactions", "investments")
# MoneyKit names the aggregator; our sandbox plays MoneyKit's own sandbox.
PROVIDER_NAMES = {"sandbox": "moneykit", "plaid": "plaid", "mx": "mx", "yodlee": "yodlee"}


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


def transaction(row: Transaction) -> dict[str, Any]:
    return _compact(
        {
            "transaction_id": str(row.id),
            "account_id": str(row.account_id),
            "amount": f"{row.amount:f}",
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
