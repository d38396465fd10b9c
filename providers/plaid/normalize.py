"""Plaid's shapes (OpenAPI 2020-09-14) into Linkgate's normalised ones.

Plaid's `amount` is positive for money out of the account and negative for money in: the sign becomes
`direction` and the amount its absolute value. `name` (and `merchant_name`) carry over unchanged.
Missing optional values stay None; nothing is invented beyond what the protocol requires (an account
without a mask gets "", an unknown subtype "other").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from providers.base import (
    InstitutionInfo,
    Investments,
    NormalizedAccount,
    NormalizedAccountNumbers,
    NormalizedHolding,
    NormalizedInvestmentTransaction,
    NormalizedOwner,
    NormalizedSecurity,
    NormalizedTransaction,
    Product,
)

Json = Mapping[str, Any]
AccountType = Literal["depository", "investment", "liability", "other"]
# Plaid's products → Linkgate's (an institution's list of what it supports).
PRODUCTS_OF = {
    "auth": Product.account_numbers, "identity": Product.identity, "transactions": Product.transactions,
    "investments": Product.investments,
}  # fmt: skip
ACCOUNT_TYPES: dict[str, AccountType] = {
    "depository": "depository", "credit": "liability", "loan": "liability", "investment": "investment",
    "brokerage": "investment",
}  # fmt: skip


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _currency(item: Json) -> str:
    return str(item.get("iso_currency_code") or item.get("unofficial_currency_code") or "USD")


def institution(item: Json) -> InstitutionInfo:
    """An institution of `/institutions/search` or `/institutions/get_by_id`: linked through Plaid Link
    (a widget), whatever the bank's own login (Link handles OAuth banks itself)."""
    products = tuple(PRODUCTS_OF[p] for p in item.get("products") or () if p in PRODUCTS_OF)
    return InstitutionInfo(
        provider_institution_id=str(item["institution_id"]),
        name=str(item.get("name") or item["institution_id"]),
        url=str(item.get("url") or ""),
        color=str(item.get("primary_color") or "#1f2937"),
        login="widget",
        credential_fields=(),
        products=tuple(dict.fromkeys((Product.accounts, *products))),
        country_codes=tuple(str(c) for c in item.get("country_codes") or ("US",)),
        routing_numbers=tuple(str(n) for n in item.get("routing_numbers") or ()),
    )


def account(item: Json, now: dt.datetime) -> NormalizedAccount:
    balances: Json = item.get("balances") or {}
    return NormalizedAccount(
        provider_account_id=str(item["account_id"]),
        name=str(item.get("name") or item.get("official_name") or "Account"),
        official_name=item.get("official_name"),
        type=ACCOUNT_TYPES.get(str(item.get("type")), "other"),
        subtype=str(item.get("subtype") or "other"),
        mask=str(item.get("mask") or ""),
        currency=_currency(balances),
        balance_current=_decimal(balances.get("current")),
        balance_available=_decimal(balances.get("available")),
        balance_limit=_decimal(balances.get("limit")),
        balances_as_of=_moment(balances.get("last_updated_datetime")) or now,
    )


def accounts(items: Iterable[Json], now: dt.datetime) -> list[NormalizedAccount]:
    return [account(item, now) for item in items]


def account_numbers(numbers: Json) -> list[NormalizedAccountNumbers]:
    """`/auth/get`'s `numbers`: ACH (US), EFT (Canada), international (IBAN) and BACS (UK)."""
    found = [
        NormalizedAccountNumbers(str(n["account_id"]), "ach", str(n["account"]), n.get("routing"),
                                 n.get("wire_routing"))
        for n in numbers.get("ach") or ()
    ]  # fmt: skip
    found += [
        NormalizedAccountNumbers(str(n["account_id"]), "eft", str(n["account"]), n.get("institution"),
                                 branch_number=n.get("branch"))
        for n in numbers.get("eft") or ()
    ]  # fmt: skip
    found += [
        NormalizedAccountNumbers(str(n["account_id"]), "international", str(n["iban"]), bic=n.get("bic"))
        for n in numbers.get("international") or ()
    ]
    found += [
        NormalizedAccountNumbers(str(n["account_id"]), "bacs", str(n["account"]), n.get("sort_code"))
        for n in numbers.get("bacs") or ()
    ]
    return found


def owners(items: Iterable[Json]) -> list[NormalizedOwner]:
    """`/identity/get`'s accounts, one owner entry per (account, owner)."""
    return [
        NormalizedOwner(
            provider_account_id=str(item["account_id"]),
            names=tuple(str(name) for name in owner.get("names") or ()),
            emails=tuple(
                {"address": e.get("data"), "primary": bool(e.get("primary")), "type": e.get("type")}
                for e in owner.get("emails") or ()
            ),
            phone_numbers=tuple(
                {"number": p.get("data"), "primary": bool(p.get("primary")), "type": p.get("type")}
                for p in owner.get("phone_numbers") or ()
            ),
            addresses=tuple(
                {**(a.get("data") or {}), "primary": bool(a.get("primary"))}
                for a in owner.get("addresses") or ()
            ),
        )  # fmt: skip
        for item in items
        for owner in item.get("owners") or ()
    ]


def transaction(item: Json) -> NormalizedTransaction:
    amount = Decimal(str(item["amount"]))
    category: Json = item.get("personal_finance_category") or {}
    categories = tuple(str(c) for c in (category.get("primary"), category.get("detailed")) if c) or tuple(
        str(c) for c in item.get("category") or ()
    )
    return NormalizedTransaction(
        provider_transaction_id=str(item["transaction_id"]),
        provider_account_id=str(item["account_id"]),
        amount=abs(amount),
        direction="debit" if amount > 0 else "credit",
        currency=_currency(item),
        date=_date(item.get("date")) or dt.date.today(),
        datetime=_moment(item.get("datetime")) or _moment(item.get("authorized_datetime")),
        description=str(item.get("name") or item.get("merchant_name") or ""),
        original_description=item.get("original_description"),
        merchant_name=item.get("merchant_name"),
        categories=categories,
        pending=bool(item.get("pending")),
        pending_transaction_id=item.get("pending_transaction_id"),
    )


def removed_ids(items: Iterable[Json]) -> list[str]:
    return [str(item["transaction_id"]) for item in items]


def investments(holdings: Json, trades: Sequence[Json]) -> Investments:
    """`/investments/holdings/get` and the investment transactions `/investments/transactions/get` paged."""
    securities = tuple(_security(s) for s in holdings.get("securities") or ())
    held = tuple(
        NormalizedHolding(
            provider_account_id=str(h["account_id"]),
            provider_security_id=str(h["security_id"]),
            quantity=Decimal(str(h["quantity"])),
            institution_price=_decimal(h.get("institution_price")),
            institution_value=_decimal(h.get("institution_value")),
            cost_basis=_decimal(h.get("cost_basis")),
            currency=_currency(h),
        )  # fmt: skip
        for h in holdings.get("holdings") or ()
    )
    return Investments(securities=securities, holdings=held, transactions=tuple(_trade(t) for t in trades))


def _security(item: Json) -> NormalizedSecurity:
    return NormalizedSecurity(
        provider_security_id=str(item["security_id"]),
        name=str(item.get("name") or ""),
        type=str(item.get("type") or "other"),
        currency=_currency(item),
        ticker_symbol=item.get("ticker_symbol"),
        cusip=item.get("cusip"),
        isin=item.get("isin"),
        close_price=_decimal(item.get("close_price")),
        close_price_as_of=_date(item.get("close_price_as_of")),
    )


def _trade(item: Json) -> NormalizedInvestmentTransaction:
    return NormalizedInvestmentTransaction(
        provider_investment_transaction_id=str(item["investment_transaction_id"]),
        provider_account_id=str(item["account_id"]), provider_security_id=item.get("security_id"),
        name=str(item.get("name") or ""), type=str(item.get("type") or "other"),
        amount=Decimal(str(item["amount"])), date=_date(item.get("date")) or dt.date.today(),
        currency=_currency(item), quantity=_decimal(item.get("quantity")), price=_decimal(item.get("price")),
        fees=_decimal(item.get("fees")),
    )  # fmt: skip
