"""Balance history as Yodlee reports it: requested days per interval, snapshots and carried-forward ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from formats.yodlee.render import historical_balances, requested_days

D = dt.date


def test_requested_days_newest_first_per_interval() -> None:
    assert requested_days(D(2026, 3, 1), D(2026, 3, 3), "D") == [D(2026, 3, 3), D(2026, 3, 2), D(2026, 3, 1)]
    assert requested_days(D(2026, 3, 1), D(2026, 3, 20), "W") == [
        D(2026, 3, 20),
        D(2026, 3, 13),
        D(2026, 3, 6),
    ]
    assert requested_days(D(2026, 1, 15), D(2026, 3, 20), "M") == [
        D(2026, 3, 20),
        D(2026, 2, 28),
        D(2026, 1, 31),
    ]


def test_snapshots_and_carried_forward_balances() -> None:
    snapshots = [(D(2026, 3, 1), Decimal("10.50"), "USD"), (D(2026, 3, 3), Decimal("7"), "USD")]
    days = requested_days(D(2026, 2, 28), D(2026, 3, 4), "D")
    exact = historical_balances(snapshots, days, carry_forward=False, is_asset=True)
    assert [(e["date"], e["dataSourceType"], e["balance"]["amount"]) for e in exact] == [
        ("2026-03-03", "S", 7.0), ("2026-03-01", "S", 10.5)
    ]  # fmt: skip
    carried = historical_balances(snapshots, days, carry_forward=True, is_asset=False)
    assert [(e["date"], e["asOfDate"], e["dataSourceType"]) for e in carried] == [
        ("2026-03-04", "2026-03-03", "CF"), ("2026-03-03", "2026-03-03", "S"),
        ("2026-03-02", "2026-03-01", "CF"), ("2026-03-01", "2026-03-01", "S"),
    ]  # fmt: skip
    assert {e["isAsset"] for e in carried} == {False}
