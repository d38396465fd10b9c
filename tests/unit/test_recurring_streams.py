"""Recurring streams: the same merchant on the same account at a regular cadence, nothing else."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from gateway.transactions.records import TransactionRecord
from gateway.transactions.recurring import recurring_streams

TODAY = dt.date(2026, 6, 30)
CHECKING = uuid.uuid4()
CARD = uuid.uuid4()


def record(
    days_ago: int, description: str, amount: str = "10.00", *, direction: str = "debit",
    account: uuid.UUID = CARD, merchant: str | None = None, pending: bool = False,
) -> TransactionRecord:  # fmt: skip
    return TransactionRecord(
        id=uuid.uuid4(), account_id=account, amount=Decimal(amount), direction=direction, currency="USD",
        date=TODAY - dt.timedelta(days=days_ago), datetime=None, description=description,
        original_description=None, pending=pending, categories=[], merchant_name=merchant, posted_seq=None,
    )  # fmt: skip


def test_a_weekly_and_a_biweekly_stream_with_their_next_dates() -> None:
    coffee = [record(d, "Coffee", "4.50", merchant="Blue Bottle") for d in (3, 10, 17, 24, 31)]
    pay = [record(d, f"PAYROLL {d}", "2000", direction="credit", account=CHECKING, merchant="Acme Corp")
           for d in (5, 19, 33)]  # fmt: skip
    noise = [record(d, "Books", "12") for d in (2, 40, 41)]
    streams = recurring_streams([*coffee, *pay, *noise], TODAY)
    by_frequency = {s.frequency: s for s in streams}
    assert set(by_frequency) == {"WEEKLY", "BIWEEKLY"}
    weekly = by_frequency["WEEKLY"]
    assert (weekly.account_id, weekly.direction, weekly.merchant_name) == (CARD, "debit", "Blue Bottle")
    assert [t.date for t in weekly.transactions] == sorted(t.date for t in coffee)
    assert weekly.predicted_next_date == TODAY + dt.timedelta(days=4)
    assert weekly.is_active
    assert weekly.is_mature
    biweekly = by_frequency["BIWEEKLY"]
    assert biweekly.direction == "credit"
    assert biweekly.average_amount == Decimal("2000.00")
    assert not biweekly.is_mature  # three so far: early detection
    assert recurring_streams([*coffee, *pay], TODAY)[0].id == streams[0].id  # stable ids


def test_monthly_amounts_vary_and_a_stopped_stream_is_inactive() -> None:
    bills = [record(d, "Electricity", amount) for d, amount in ((10, "80"), (40, "95.50"), (71, "60"))]
    (stream,) = recurring_streams(bills, TODAY)
    assert stream.frequency == "MONTHLY"
    assert stream.last_amount == Decimal("80")
    assert stream.average_amount == Decimal("78.50")
    (stopped,) = recurring_streams(bills, TODAY + dt.timedelta(days=70))
    assert not stopped.is_active
    assert stopped.predicted_next_date is None


def test_irregular_pending_split_or_too_few_are_not_streams() -> None:
    irregular = [record(d, "Taxi") for d in (1, 5, 30, 31)]
    too_few = [record(d, "Gym") for d in (1, 31)]
    pending = [record(d, "Cinema", pending=True) for d in (1, 8, 15)]
    split = [record(d, "Lunch", account=CHECKING if i % 2 else CARD) for i, d in enumerate((1, 8, 15, 22))]
    assert recurring_streams([*irregular, *too_few, *pending, *split], TODAY) == []


def test_descriptions_match_whatever_their_digits_and_case() -> None:
    rows = [record(d, f"NETFLIX.COM {d:04d}" if d % 2 else f"Netflix.com #{d}") for d in (4, 35, 65)]
    (stream,) = recurring_streams(rows, TODAY)
    assert stream.frequency == "MONTHLY"
