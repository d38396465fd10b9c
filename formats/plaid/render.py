"""The unified schema rendered as Plaid API 2020-09-14 objects, shaped for the official clients.

Money is a JSON number with Plaid's sign (positive = money out of the account); dates are
`YYYY-MM-DD`; datetimes carry a zone (a transaction's are left as objects for the body's serializer,
`gateway.collections.plaid.routing.plaid_response`, to write). Required keys are always present (null
where Plaid allows it); optional non-nullable keys are left out rather than sent as null, which
plaid-python rejects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from formats.plaid import ids
from gateway.models.account import Account, AccountNumber, AccountOwner
from gateway.models.institution import Institution
from gateway.models.investment import Holding, InvestmentTransaction, Security
from gateway.models.link import Link
from gateway.products.identity_match import IdentityMatch
from gateway.transactions.records import TransactionRecord
from gateway.transactions.recurring import RecurringStream
from providers.base import CreditLiability

API_VERSION = "2020-09-14"
# Our products under Plaid's names; `accounts` is what every Item has and Plaid does not bill.
PLAID_PRODUCTS = {"account_numbers": "auth", "identity": "identity", "transactions": "transactions",
                  "investments": "investments"}  # fmt: skip
# Liabilities come from the accounts (gateway.products.liabilities), so asking for them asks for accounts.
UNIFIED_PRODUCTS = {plaid: ours for ours, plaid in PLAID_PRODUCTS.items()} | {
    "balance": "accounts",
    "liabilities": "accounts",
}
# Never mutated, so every transaction may share them.
NO_LOCATION = dict.fromkeys(
    ("address", "city", "region", "postal_code", "country", "lat", "lon", "store_number")
)
NO_PAYMENT_META = dict.fromkeys(("by_order_of", "payee", "payer", "payment_method", "payment_processor",
                                 "ppd_id", "reason", "reference_number"))  # fmt: skip


def environment(app_mode: str) -> str:
    return "production" if app_mode == "live" else "sandbox"


def number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat().replace("+00:00", "Z")


def plaid_products(products: Iterable[str]) -> list[str]:
    return sorted({PLAID_PRODUCTS[p] for p in products if p in PLAID_PRODUCTS})


def item(link: Link, institution: Institution, *, webhook: str | None) -> dict[str, Any]:
    billed = plaid_products(link.products)
    return {
        "item_id": ids.encode(link.id),
        "institution_id": institution.id,
        "institution_name": institution.name,
        "webhook": webhook,
        "auth_method": None,
        "error": item_error(link),
        "available_products": sorted({"balance", *PLAID_PRODUCTS.values()} - set(billed)),
        "billed_products": billed,
        "products": billed,
        "consented_products": billed,
        "consent_expiration_time": None,
        "update_type": "background",
    }


def item_error(link: Link) -> dict[str, Any] | None:
    """The Item's `error`: ITEM_LOGIN_REQUIRED while the link needs its user to log in again."""
    if link.state != "error":
        return None
    return {
        "error_type": "ITEM_ERROR",
        "error_code": "ITEM_LOGIN_REQUIRED",
        "error_message": "the login details of this item have changed and a user login is required",
        "display_message": "Your login details have changed. Please log in again to reconnect.",
        "request_id": "",
        "causes": [],
        "status": 400,
        "documentation_url": "https://plaid.com/docs/errors/item/#item_login_required",
        "suggested_action": None,
    }


def account_type(row: Account) -> tuple[str, str | None]:
    subtype = row.subtype.replace("_", " ") if row.subtype else None
    if row.type == "liability":
        return ("credit" if subtype == "credit card" else "loan"), subtype
    if row.type in ("depository", "investment", "credit", "loan"):
        return row.type, subtype
    return "other", subtype


def account(row: Account, *, investment: bool = False) -> dict[str, Any]:
    kind, subtype = account_type(row)
    balances: dict[str, Any] = {
        "available": number(row.balance_available),
        "current": number(row.balance_current),
        "limit": number(row.balance_limit),
        "iso_currency_code": row.currency,
        "unofficial_currency_code": None,
        "last_updated_datetime": _datetime(row.balances_as_of),
    }
    if investment:
        balances["margin_loan_amount"] = None
    return {
        "account_id": ids.encode(row.id),
        "balances": balances,
        "mask": row.mask,
        "name": row.name,
        "official_name": row.official_name,
        "type": kind,
        "subtype": subtype,
        "holder_category": "personal",
    }


def transaction_id(row: TransactionRecord) -> str:
    return ids.pending_id(row.id) if row.pending else ids.encode(row.id)


# A transaction's keys in Plaid's order, those Linkgate has no data for already filled in. `transaction`
# copies it and sets the rest: half the time of building a 30-key literal, 500 times per sync page.
TRANSACTION_TEMPLATE: dict[str, Any] = dict.fromkeys((
    "account_id", "amount", "iso_currency_code", "unofficial_currency_code", "date", "datetime",
    "authorized_date", "authorized_datetime", "pending", "transaction_id", "pending_transaction_id",
    "account_owner", "name", "merchant_name", "merchant_entity_id", "logo_url", "website", "category",
    "category_id", "check_number",
)) | {"location": NO_LOCATION, "payment_meta": NO_PAYMENT_META, "payment_channel": "other",
      "transaction_code": None, "transaction_type": "special", "counterparties": ()}  # fmt: skip


def transaction(row: TransactionRecord, *, include_original_description: bool = False) -> dict[str, Any]:
    rendered = TRANSACTION_TEMPLATE.copy()
    rendered["account_id"] = ids.encode(row.account_id)
    rendered["amount"] = float(row.amount if row.direction == "debit" else -row.amount)
    rendered["iso_currency_code"] = row.currency
    # Left as date and datetime objects: the body's serializer writes them (see plaid_response), in C.
    rendered["date"] = rendered["authorized_date"] = row.date
    rendered["datetime"] = rendered["authorized_datetime"] = row.datetime
    rendered["pending"] = row.pending
    rendered["transaction_id"] = transaction_id(row)
    if row.posted_seq is not None and not row.pending:
        rendered["pending_transaction_id"] = ids.pending_id(row.id)
    rendered["name"] = row.description
    rendered["merchant_name"] = row.merchant_name
    rendered["category"] = row.categories or None
    if include_original_description:
        rendered["original_description"] = row.original_description
    return rendered


def removed(row: TransactionRecord, *, seen_pending: bool) -> dict[str, str]:
    """A transaction a reader had seen, as Plaid reports its removal (under the id the reader knew)."""
    known = ids.pending_id(row.id) if seen_pending else ids.encode(row.id)
    return {"transaction_id": known, "account_id": ids.encode(row.account_id)}


def numbers(rows: Sequence[AccountNumber]) -> dict[str, list[dict[str, Any]]]:
    ach = [
        {"account_id": ids.encode(row.account_id), "account": row.account_number,
         "routing": row.routing_number or "", "wire_routing": row.wire_routing_number}
        for row in rows if row.kind == "ach"
    ]  # fmt: skip
    eft = [
        {"account_id": ids.encode(row.account_id), "account": row.account_number,
         "institution": row.routing_number or "", "branch": row.branch_number or ""}
        for row in rows if row.kind == "eft"
    ]  # fmt: skip
    international = [
        {"account_id": ids.encode(row.account_id), "iban": row.account_number, "bic": row.bic or ""}
        for row in rows if row.kind == "iban"
    ]  # fmt: skip
    bacs = [
        {"account_id": ids.encode(row.account_id), "account": row.account_number,
         "sort_code": row.routing_number or ""}
        for row in rows if row.kind == "bacs"
    ]  # fmt: skip
    return {"ach": ach, "eft": eft, "international": international, "bacs": bacs}


def owner(row: AccountOwner) -> dict[str, Any]:
    return {
        "names": list(row.names),
        "phone_numbers": [
            {
                "data": phone.get("number", ""),
                "primary": bool(phone.get("primary")),
                "type": phone.get("type") or "other",
            }
            for phone in row.phone_numbers
        ],  # fmt: skip
        "emails": [
            {
                "data": email.get("address", ""),
                "primary": bool(email.get("primary")),
                "type": "primary" if email.get("primary") else "secondary",
            }
            for email in row.emails
        ],  # fmt: skip
        "addresses": [
            {
                "data": {
                    "street": address.get("street", ""),
                    "city": address.get("city"),
                    "region": address.get("region"),
                    "postal_code": address.get("postal_code"),
                    "country": address.get("country"),
                },
                "primary": bool(address.get("primary")),
            }
            for address in row.addresses
        ],  # fmt: skip
    }


def institution(row: Institution) -> dict[str, Any]:
    products = sorted({"balance", *plaid_products(row.products)})
    return {
        "institution_id": row.id,
        "name": row.name,
        "products": products,
        "country_codes": list(row.country_codes),
        "url": row.url,
        "primary_color": row.color,
        "logo": None,
        "routing_numbers": [],
        "dtc_numbers": [],
        "oauth": row.is_oauth,
        "status": None,
        "connection_availability": "SUPPORTED",
    }


def security(row: Security) -> dict[str, Any]:
    return {
        "security_id": ids.encode(row.id),
        "isin": row.isin,
        "cusip": row.cusip,
        "sedol": row.sedol,
        "figi": row.figi,
        "institution_security_id": row.provider_security_id,
        "institution_id": None,
        "proxy_security_id": None,
        "name": row.name,
        "ticker_symbol": row.ticker_symbol,
        "is_cash_equivalent": row.type == "cash",
        "type": row.type,
        "close_price": number(row.close_price),
        "close_price_as_of": row.close_price_as_of.isoformat() if row.close_price_as_of else None,
        "update_datetime": None,
        "iso_currency_code": row.currency,
        "unofficial_currency_code": None,
        "market_identifier_code": None,
        "sector": None,
        "industry": None,
        "cfi_code": None,
        "option_contract": None,
        "fixed_income": None,
    }


def holding(row: Holding) -> dict[str, Any]:
    return {
        "account_id": ids.encode(row.account_id),
        "security_id": ids.encode(row.security_id),
        "institution_price": number(row.institution_price) or 0.0,
        "institution_price_as_of": row.as_of.date().isoformat() if row.as_of else None,
        "institution_price_datetime": _datetime(row.as_of),
        "institution_value": number(row.institution_value) or 0.0,
        "cost_basis": number(row.cost_basis),
        "quantity": float(row.quantity),
        "iso_currency_code": row.currency,
        "unofficial_currency_code": None,
        "vested_quantity": None,
        "vested_value": None,
    }


# Plaid's investment transaction types; the unified type is dotted, as MoneyKit writes it
# (`cash.dividend`, `buy.buy_to_cover`): the part before the dot is Plaid's type, the rest its subtype.
INVESTMENT_TYPES = frozenset(("buy", "sell", "cancel", "cash", "fee", "transfer"))
INVESTMENT_SUBTYPES = frozenset((
    "account fee", "adjustment", "assignment", "buy", "buy to cover", "contribution", "deposit",
    "distribution", "dividend", "dividend reinvestment", "exercise", "expire", "fund fee", "interest",
    "interest receivable", "interest reinvestment", "legal fee", "loan payment", "long-term capital gain",
    "long-term capital gain reinvestment", "management fee", "margin expense", "merger",
    "miscellaneous fee", "non-qualified dividend", "non-resident tax", "pending credit", "pending debit",
    "qualified dividend", "rebalance", "return of principal", "request", "sell", "sell short", "send",
    "short-term capital gain", "short-term capital gain reinvestment", "spin off", "split",
    "stock distribution", "tax", "tax withheld", "trade", "transfer", "transfer fee", "trust fee",
    "unqualified gain", "withdrawal",
))  # fmt: skip
# The subtype of a type given without one (or with one Plaid does not know).
DEFAULT_INVESTMENT_SUBTYPES = {"buy": "buy", "sell": "sell", "cancel": "adjustment",
                               "fee": "miscellaneous fee", "transfer": "transfer"}  # fmt: skip


def investment_kind(row: InvestmentTransaction) -> dict[str, str]:
    """Plaid's `type` and `subtype` of a unified investment transaction: `cash.dividend` is type `cash`,
    subtype `dividend`. A type Plaid lacks is a cash adjustment; cash without a subtype is a deposit or
    a withdrawal by its sign (negative: money in)."""
    kind, _, dotted = row.type.partition(".")
    subtype = (row.subtype or dotted).replace("_", " ")
    if kind not in INVESTMENT_TYPES:
        return {"type": "cash", "subtype": "adjustment"}
    if subtype not in INVESTMENT_SUBTYPES:
        cash = "deposit" if row.amount < 0 else "withdrawal"
        subtype = DEFAULT_INVESTMENT_SUBTYPES.get(kind, cash)
    return {"type": kind, "subtype": subtype}


def investment_transaction(row: InvestmentTransaction) -> dict[str, Any]:
    return {
        "investment_transaction_id": ids.encode(row.id),
        "account_id": ids.encode(row.account_id),
        "security_id": ids.encode(row.security_id) if row.security_id else None,
        "date": row.date.isoformat(),
        "name": row.name,
        "quantity": number(row.quantity) or 0.0,
        "amount": float(row.amount),
        "price": number(row.price) or 0.0,
        "fees": number(row.fees),
        **investment_kind(row),
        "iso_currency_code": row.currency,
        "unofficial_currency_code": None,
    }


def credit_liability(account_id: str, row: CreditLiability) -> dict[str, Any]:
    """A credit card's `liabilities.credit` entry; dates are left as `date`s for the body's serializer."""
    return {
        "account_id": account_id,
        "aprs": [
            {"apr_percentage": float(apr.percentage), "apr_type": f"{apr.kind}_apr" if apr.kind != "special"
             else "special", "balance_subject_to_apr": number(apr.balance_subject),
             "interest_charge_amount": number(apr.interest_charged)}
            for apr in row.aprs
        ],
        "is_overdue": row.is_overdue,
        "last_payment_amount": number(row.last_payment_amount),
        "last_payment_date": row.last_payment_date,
        "last_statement_issue_date": row.last_statement_issue_date,
        "last_statement_balance": number(row.last_statement_balance),
        "minimum_payment_amount": number(row.minimum_payment_amount),
        "next_payment_due_date": row.next_payment_due_date,
    }  # fmt: skip


def _signed(amount: Decimal, direction: str) -> float:
    return float(amount if direction == "debit" else -amount)


def recurring_stream(stream: RecurringStream) -> dict[str, Any]:
    """A `TransactionStream`: amounts carry Plaid's sign (an inflow's are negative), dates are `date`s."""
    status = "TOMBSTONED" if not stream.is_active else "MATURE" if stream.is_mature else "EARLY_DETECTION"
    return {
        "account_id": ids.encode(stream.account_id),
        "stream_id": stream.id.hex,
        "category": list(stream.categories) or None,
        "category_id": None,
        "description": stream.description,
        "merchant_name": stream.merchant_name,
        "first_date": stream.first_date,
        "last_date": stream.last_date,
        "predicted_next_date": stream.predicted_next_date,
        "frequency": stream.frequency,
        "transaction_ids": [transaction_id(row) for row in stream.transactions],
        "average_amount": {"amount": _signed(stream.average_amount, stream.direction),
                           "iso_currency_code": stream.currency, "unofficial_currency_code": None},
        "last_amount": {"amount": _signed(stream.last_amount, stream.direction),
                        "iso_currency_code": stream.currency, "unofficial_currency_code": None},
        "is_active": stream.is_active,
        "status": status,
        "is_user_modified": False,
    }  # fmt: skip


def identity_match(match: IdentityMatch) -> dict[str, Any]:
    """An account's `/identity/match` scores (Plaid's field names are the unified ones). Every field is an
    object, its score null when either side lacks the value (plaid-python refuses a null object)."""
    scores = (("legal_name", match.legal_name), ("phone_number", match.phone_number),
              ("email_address", match.email_address), ("address", match.address))  # fmt: skip
    return {field: dataclasses.asdict(score) for field, score in scores}
