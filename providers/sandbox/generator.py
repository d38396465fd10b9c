"""Sandbox data as a pure function of (seed, refresh number): retried refreshes return the same ids.

Every refresh adds transactions, at least one of them pending, and resolves the previous refresh's
pending ones (same id, `pending` now false), like the seed's example: refresh 1 gives Coffee
(posted) and Food (pending); refresh 2 posts Food and adds Drinks (pending) and Taxi (posted).
Balances are random on every call, as the seed promises.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from providers.base import (
    Investments,
    NormalizedAccount,
    NormalizedAccountNumbers,
    NormalizedHolding,
    NormalizedInvestmentTransaction,
    NormalizedOwner,
    NormalizedSecurity,
    NormalizedTransaction,
)
from providers.sandbox.aba import routing_number
from providers.sandbox.login import STATIC_USERS

CENT = Decimal("0.01")
HISTORY_DAYS = 60
HISTORY_SIZE = 24


@dataclass(frozen=True)
class Spend:
    description: str
    merchant: str | None
    category: str
    low: int
    high: int
    direction: str = "debit"


SPENDS = (
    Spend("Coffee", "Blue Bottle", "food_and_drink.coffee", 3, 7),
    Spend("Food", "Whole Foods", "food_and_drink.groceries", 15, 90),
    Spend("Drinks", "The Local", "food_and_drink.bars", 8, 40),
    Spend("Taxi", "Yellow Cab", "transport.taxis", 10, 45),
    Spend("Books", "City Books", "shopping.books", 9, 60),
    Spend("Cinema", "Metro Cinema", "entertainment.cinema", 12, 30),
    Spend("Pharmacy", "Walgreens", "health_and_personal_care.pharmacy", 5, 50),
    Spend("Electricity", "Power Co", "utilities.electricity", 40, 120),
    Spend("Payroll deposit", "Acme Corp", "income.salary", 1500, 3200, "credit"),
)


@dataclass(frozen=True)
class Recurring:
    """A spend a new link's history holds on a fixed cadence, always on the same account."""

    description: str
    every_days: int
    occurrences: int
    account_kind: str


# Within HISTORY_DAYS, whichever day the first falls on: a biweekly payroll and a weekly coffee.
RECURRING = (Recurring("Payroll deposit", 14, 4, "checking"), Recurring("Coffee", 7, 8, "credit_card"))
RECURRING_NAMES = frozenset(stream.description for stream in RECURRING)
# The seed's deterministic script for static users, refresh by refresh: (spend, pending).
STATIC_SCRIPT = (
    (("Coffee", False), ("Food", True)),
    (("Drinks", True), ("Taxi", False)),
)
STATIC_NAMES = {"user_1": "Alberta Bobbeth Charleson", "user_2": "Dana Eve Fairbanks"}
RANDOM_NAMES = ("Jordan Lee", "Sam Rivera", "Alex Morgan", "Casey Kim", "Riley Chen", "Jamie Patel")


def _rng(seed: str, *parts: object) -> random.Random:
    return random.Random(":".join([seed, *map(str, parts)]))


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(rng.uniform(low, high))).quantize(CENT)


def _account_ids(seed: str) -> dict[str, str]:
    return {kind: f"{seed}-{kind}" for kind in ("checking", "savings", "credit_card", "brokerage")}


def accounts(seed: str, now: dt.datetime) -> list[NormalizedAccount]:
    ids = _account_ids(seed)
    masks = _rng(seed, "masks")
    balances = random.Random()  # new balances on every refresh

    def account(kind: str, name: str, type_: str, current: Decimal, available: Decimal | None,
                limit: Decimal | None = None) -> NormalizedAccount:  # fmt: skip
        return NormalizedAccount(
            provider_account_id=ids[kind], name=name, type=type_, subtype=kind,  # type: ignore[arg-type]
            mask=f"{masks.randint(0, 9999):04d}", currency="USD", balance_current=current,
            balance_available=available, balance_limit=limit, balances_as_of=now,
        )  # fmt: skip

    checking = _money(balances, 500, 9000)
    savings = _money(balances, 1000, 40000)
    owed = _money(balances, 0, 2500)
    return [
        account("checking", "Everyday Checking", "depository", checking, checking - _money(balances, 0, 100)),
        account("savings", "High Yield Savings", "depository", savings, savings),
        account("credit_card", "Rewards Credit Card", "liability", owed, Decimal(5000) - owed, Decimal(5000)),
        account("brokerage", "Brokerage", "investment", _money(balances, 5000, 60000), None),
    ]


def account_numbers(seed: str) -> list[NormalizedAccountNumbers]:
    rng = _rng(seed, "numbers")
    routing = routing_number(rng)
    return [
        NormalizedAccountNumbers(
            provider_account_id=account_id,
            kind="ach",
            account_number="".join(str(rng.randint(0, 9)) for _ in range(12)),
            routing_number=routing,
            wire_routing_number=routing,
        )  # fmt: skip
        for kind, account_id in _account_ids(seed).items()
        if kind in ("checking", "savings")
    ]


def owners(seed: str) -> list[NormalizedOwner]:
    rng = _rng(seed, "identity")
    name = STATIC_NAMES.get(seed) or rng.choice(RANDOM_NAMES)
    handle = name.lower().replace(" ", ".")
    emails = ({"address": f"{handle}@example.com", "primary": True},)
    phones = ({"number": f"+1555{rng.randint(1000000, 9999999)}", "type": "mobile", "primary": True},)
    street = f"{rng.randint(1, 999)} Main Street"
    address = {
        "street": street,
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
    }
    addresses = ({**address, "primary": True},)
    return [
        NormalizedOwner(account_id, names=(name,), emails=emails, phone_numbers=phones, addresses=addresses)
        for account_id in _account_ids(seed).values()
    ]


def _transaction(
    seed: str, refresh: int, index: int, spend: Spend, pending: bool, date: dt.date, rng: random.Random,
    account_kind: str | None = None,
) -> NormalizedTransaction:  # fmt: skip
    ids = _account_ids(seed)
    account = ids["checking"] if spend.direction == "credit" or index % 2 == 0 else ids["credit_card"]
    if account_kind is not None:
        account = ids[account_kind]
    return NormalizedTransaction(
        provider_transaction_id=f"{seed}-r{refresh}-{index}",
        provider_account_id=account,
        amount=_money(rng, spend.low, spend.high),
        direction=spend.direction,  # type: ignore[arg-type]
        currency="USD",
        date=date,
        datetime=dt.datetime.combine(date, dt.time(12, 0), tzinfo=dt.UTC),
        description=spend.description,
        original_description=f"{spend.description.upper()} {spend.merchant or ''}".strip(),
        merchant_name=spend.merchant,
        categories=(spend.category,),
        pending=pending,
    )


def _later_static_script(refresh: int) -> tuple[tuple[str, bool], ...]:
    """After the seed's two scripted refreshes, static users keep getting one pending and one posted."""
    first, second = SPENDS[refresh % 8], SPENDS[(refresh + 3) % 8]
    return ((first.description, True), (second.description, False))


def refresh_transactions(seed: str, refresh: int, today: dt.date) -> list[NormalizedTransaction]:
    """The transactions refresh number `refresh` (1-based) adds, exactly as it added them the first time."""
    rng = _rng(seed, "transactions", refresh)
    by_name = {spend.description: spend for spend in SPENDS}
    if seed in STATIC_USERS:
        script = (
            STATIC_SCRIPT[refresh - 1] if refresh <= len(STATIC_SCRIPT) else _later_static_script(refresh)
        )
        return [
            _transaction(seed, refresh, index, by_name[name], pending, today, rng)
            for index, (name, pending) in enumerate(script)
        ]
    if refresh == 1:
        history = _history(seed, today, rng)
        return [*history, _transaction(seed, refresh, HISTORY_SIZE, rng.choice(SPENDS[:8]), True, today, rng)]
    count = rng.randint(2, 4)
    return [
        _transaction(seed, refresh, index, rng.choice(SPENDS[:8]), index == 0, today, rng)
        for index in range(count)
    ]


def _history(seed: str, today: dt.date, rng: random.Random) -> list[NormalizedTransaction]:
    """A new link's first `HISTORY_SIZE` posted transactions: its recurring streams on their cadence,
    every other kind of spend once (a credit among them), then random ones of those kinds at random
    dates. Whatever a test looks for in a new link's history is there on every run."""
    by_name = {spend.description: spend for spend in SPENDS}
    planned: list[tuple[Spend, int, str | None]] = []  # (spend, days ago, account kind)
    for stream in RECURRING:
        first = rng.randint(1, stream.every_days)
        planned += [(by_name[stream.description], first + n * stream.every_days, stream.account_kind)
                    for n in range(stream.occurrences)]  # fmt: skip
    others = [spend for spend in SPENDS if spend.description not in RECURRING_NAMES]
    planned += [(spend, rng.randint(1, HISTORY_DAYS), None) for spend in others]
    planned += [
        (rng.choice(others), rng.randint(1, HISTORY_DAYS), None) for _ in range(HISTORY_SIZE - len(planned))
    ]
    return [
        _transaction(seed, 1, index, spend, False, today - dt.timedelta(days=days_ago), rng, account_kind)
        for index, (spend, days_ago, account_kind) in enumerate(planned)
    ]


def resolved(previous: list[NormalizedTransaction]) -> list[NormalizedTransaction]:
    """The previous refresh's pending transactions, now posted under the same ids."""
    return [replace(transaction, pending=False) for transaction in previous if transaction.pending]


SECURITIES = (
    NormalizedSecurity("sbx-sec-vti", "Vanguard Total Stock Market ETF", "etf", "USD", "VTI", "922908769",
                       "US9229087690", Decimal("251.12")),
    NormalizedSecurity("sbx-sec-aapl", "Apple Inc.", "equity", "USD", "AAPL", "037833100", "US0378331005",
                       Decimal("190.33")),
    NormalizedSecurity("sbx-sec-cash", "U.S. Dollar", "cash", "USD", None, None, None, Decimal("1")),
)  # fmt: skip


def investments(seed: str, today: dt.date) -> Investments:
    brokerage = _account_ids(seed)["brokerage"]
    rng = _rng(seed, "investments")
    holdings = []
    for security in SECURITIES:
        quantity = Decimal(str(round(rng.uniform(1, 40), 4)))
        price = security.close_price or Decimal(1)
        holdings.append(
            NormalizedHolding(
                provider_account_id=brokerage,
                provider_security_id=security.provider_security_id,
                quantity=quantity,
                institution_price=price,
                institution_value=(quantity * price).quantize(CENT),
                cost_basis=(quantity * price * Decimal("0.9")).quantize(CENT),
                currency="USD",
            )  # fmt: skip
        )
    trades = (
        NormalizedInvestmentTransaction(
            f"{seed}-inv-1", brokerage, "sbx-sec-vti", "Buy VTI", "buy", Decimal("1255.60"),
            today - dt.timedelta(days=20), "USD", Decimal(5), Decimal("251.12"), Decimal("0"),
        ),
        NormalizedInvestmentTransaction(
            f"{seed}-inv-2", brokerage, "sbx-sec-aapl", "Dividend AAPL", "cash.dividend", Decimal("-4.80"),
            today - dt.timedelta(days=5), "USD",
        ),
    )  # fmt: skip
    dated = tuple(replace(security, close_price_as_of=today) for security in SECURITIES)
    return Investments(securities=dated, holdings=tuple(holdings), transactions=trades)
