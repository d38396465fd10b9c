"""The fake Plaid's "now": a settable epoch clock, so token expiry and webhook `iat` are testable."""

from __future__ import annotations

import datetime as dt
import threading


class FakeClock:
    """Unix epoch seconds (a float) that only move when a test moves them."""

    def __init__(self, now: float) -> None:
        self._now = float(now)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def set(self, epoch: float) -> None:
        with self._lock:
            self._now = float(epoch)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def iso_datetime(epoch: float) -> str:
    """`2026-01-01T12:00:00Z`: the form Plaid writes datetimes in."""
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(epoch: float, *, days_back: int = 0) -> str:
    """The UTC date of `epoch` minus `days_back` days, as `YYYY-MM-DD`."""
    day = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() - dt.timedelta(days=days_back)
    return day.isoformat()
