"""The Plaid adapter without Plaid: its shapes into ours, its errors, the keys a call is made with."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest

from providers.base import (
    DataNotReady,
    FatalProviderError,
    Misconfigured,
    NormalizedAccount,
    Product,
    ReconnectRequired,
    RetryLater,
)
from providers.plaid import normalize
from providers.plaid.adapter import PlaidProvider, translate
from providers.plaid.client import PlaidApiError, PlaidClient
from providers.plaid.settings import PlaidKeys, PlaidSettings

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


def plaid_transaction(**fields: object) -> dict[str, object]:
    return {
        "transaction_id": "t-1", "account_id": "a-1", "amount": 12.5, "iso_currency_code": "USD",
        "unofficial_currency_code": None, "date": "2026-12-01", "datetime": None, "authorized_datetime": None,
        "name": "Uber 063015 SF**POOL**", "merchant_name": "Uber", "original_description": None,
        "pending": False, "pending_transaction_id": None,
        "personal_finance_category": {"primary": "TRANSPORTATION", "detailed": "TRANSPORTATION_TAXIS"},
    } | fields  # fmt: skip


def test_money_out_is_a_debit_and_money_in_a_credit() -> None:
    spent = normalize.transaction(plaid_transaction())
    assert (spent.amount, spent.direction) == (Decimal("12.5"), "debit")
    paid = normalize.transaction(plaid_transaction(amount=-500))
    assert (paid.amount, paid.direction) == (Decimal("500"), "credit")


def test_names_carry_over_unchanged_and_the_posting_names_its_pending_one() -> None:
    posted = normalize.transaction(plaid_transaction(pending_transaction_id="p-1"))
    assert (posted.description, posted.merchant_name) == ("Uber 063015 SF**POOL**", "Uber")
    assert posted.pending_transaction_id == "p-1"
    assert posted.categories == ("TRANSPORTATION", "TRANSPORTATION_TAXIS")
    assert posted.date == dt.date(2026, 12, 1)


def test_accounts_by_type() -> None:
    def account(kind: str, subtype: str | None, mask: str | None = "0000") -> NormalizedAccount:
        return normalize.account({
            "account_id": "a", "name": "Plaid Checking", "official_name": None, "type": kind,
            "subtype": subtype, "mask": mask, "balances": {"current": 110.5, "available": 100, "limit": None,
                                       "iso_currency_code": "USD", "last_updated_datetime": None},
        }, NOW)  # fmt: skip

    checking = account("depository", "checking")
    assert (checking.type, checking.subtype, checking.balance_current) == (
        "depository",
        "checking",
        Decimal("110.5"),
    )
    assert checking.balances_as_of == NOW
    assert account("credit", "credit card").type == "liability"
    assert account("loan", "student").type == "liability"
    assert account("brokerage", None, mask=None).type == "investment"
    assert (account("other", None, mask=None).subtype, account("other", None, mask=None).mask) == (
        "other",
        "",
    )


def test_an_institution_is_linked_through_link() -> None:
    found = normalize.institution({
        "institution_id": "ins_109508", "name": "First Platypus Bank",
        "products": ["auth", "transactions", "assets"], "country_codes": ["US"],
        "url": "https://www.platypus.example", "routing_numbers": ["011000138"], "oauth": False,
    })  # fmt: skip
    assert found.login == "widget"
    assert found.products == (Product.accounts, Product.account_numbers, Product.transactions)
    assert found.routing_numbers == ("011000138",)


def test_what_plaid_errors_become() -> None:
    def error(code: str, status: int = 400, kind: str = "ITEM_ERROR") -> Exception:
        return translate(
            PlaidApiError(status, {"error_type": kind, "error_code": code, "error_message": "x"})
        )

    login = error("ITEM_LOGIN_REQUIRED")
    assert isinstance(login, ReconnectRequired)
    assert login.error_code == "auth_expired"
    assert isinstance(error("INSTITUTION_DOWN", kind="INSTITUTION_ERROR"), RetryLater)
    assert isinstance(error("PRODUCT_NOT_READY"), DataNotReady)
    assert isinstance(error("INVALID_API_KEYS", kind="INVALID_INPUT"), Misconfigured)
    assert isinstance(error("RATE_LIMIT_EXCEEDED", 429, "RATE_LIMIT_EXCEEDED"), RetryLater)
    assert isinstance(error("INTERNAL_SERVER_ERROR", 500, "API_ERROR"), RetryLater)
    assert isinstance(error("PRODUCTS_NOT_SUPPORTED"), FatalProviderError)


def test_sandbox_apps_use_plaids_sandbox_and_live_apps_the_operators_environment() -> None:
    settings = PlaidSettings(client_id="ops", secret="prod-secret", environment="production",
                             sandbox_secret="sandbox-secret")  # fmt: skip
    adapter = PlaidProvider.for_operator(settings, PlaidClient(httpx.AsyncClient(), settings))
    assert adapter.for_app(None, live=True).keys == PlaidKeys("ops", "prod-secret", "production")
    assert adapter.for_app(None, live=False).keys == PlaidKeys("ops", "sandbox-secret", "sandbox")
    own = {"client_id": "app", "secret": "app-secret"}
    assert adapter.for_app(own, live=False).keys == PlaidKeys("app", "app-secret", "sandbox")
    assert adapter.for_app(own, live=True).keys == PlaidKeys("app", "app-secret", "production")
    with pytest.raises(Misconfigured):  # no sandbox secret: a sandbox app has no keys to call with
        _ = (
            PlaidProvider.for_operator(replace(settings, sandbox_secret=None), adapter.client)
            .for_app(None, live=False)
            .keys
        )
    assert "prod-secret" not in repr(adapter.for_app(None, live=True).keys)
