"""Sandbox credit card liabilities, derived from the card's account: a pure function of its provider id
(which holds the link's seed), its balance and the day, so every read of a link agrees."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from providers.base import Apr, CreditLiability

CENT = Decimal("0.01")
PURCHASE_APRS = (Decimal("15.24"), Decimal("18.99"), Decimal("21.49"), Decimal("24.99"), Decimal("27.99"))
CASH_APR_MARGIN = Decimal(5)
STATEMENT_TO_DUE = dt.timedelta(days=25)
MINIMUM_PAYMENT = Decimal(25)


def credit_liability(provider_account_id: str, balance: Decimal, today: dt.date) -> CreditLiability:
    """The card's liability as of `today`: statements are issued monthly on the card's day and due 25
    days later; the last payment came a few days before the last statement; the minimum payment is 1%
    of the balance plus the month's interest, at least $25 (never more than the balance)."""
    rng = random.Random(f"{provider_account_id}:liability")
    statement = _on_or_before(today, rng.randint(1, 28))
    next_due = statement + STATEMENT_TO_DUE
    if next_due < today:  # this statement's due date has passed: the next statement's is the next one
        next_due = _month_later(statement) + STATEMENT_TO_DUE
    purchase_apr = rng.choice(PURCHASE_APRS)
    owed = max(balance, Decimal(0))
    interest = (owed * purchase_apr / 100 / 12).quantize(CENT)
    minimum = min(owed, max(MINIMUM_PAYMENT, (owed / 100).quantize(CENT) + interest))
    aprs = (
        Apr("purchase", purchase_apr, owed, interest),
        Apr("cash", purchase_apr + CASH_APR_MARGIN, Decimal(0), Decimal(0)),
    )
    return CreditLiability(
        provider_account_id=provider_account_id,
        aprs=aprs,
        is_overdue=False,
        last_payment_amount=Decimal(rng.randint(2500, 50000)) / 100,
        last_payment_date=statement - dt.timedelta(days=rng.randint(3, 10)),
        last_statement_issue_date=statement,
        last_statement_balance=owed,
        minimum_payment_amount=minimum,
        next_payment_due_date=next_due,
    )


def _on_or_before(today: dt.date, day: int) -> dt.date:
    """The last date on or before `today` that falls on `day` (1-28) of its month."""
    if today.day >= day:
        return today.replace(day=day)
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=day)


def _month_later(date: dt.date) -> dt.date:
    """The same day (1-28) of the next month."""
    return (date.replace(day=1) + dt.timedelta(days=32)).replace(day=date.day)
