"""The fake Bridge's "now": a settable epoch clock, so date windows and daily quotas are testable."""

from __future__ import annotations

import threading

SECONDS_PER_DAY = 86_400


class FakeClock:
    """Whole Unix epoch seconds that only move when a test moves them (spec §10.9, inferred)."""

    def __init__(self, now: int) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            return self._now

    def set(self, epoch: int) -> None:
        with self._lock:
            self._now = epoch

    def advance(self, seconds: int) -> None:
        with self._lock:
            self._now += seconds
