"""Reading a change-log pull's next page while the client is still reading the last one.

A client pulling a link's history asks for page after page, each only once it has decoded the one
before (Plaid's `/transactions/sync` loop while `has_more`). Between two requests the gateway is idle and
the client busy, so the next page, whose cursor the gateway has just handed out, is computed then; the
request that asks for it takes it ready (bench/RESULTS.md, the sync pull).

Entries live in the process that served the page before (a keep-alive connection stays on one process;
a request landing elsewhere computes its page as it would have anyway). At most `RUNNING_AT_MOST` are
computed at once, so under load, when no core is idle, nothing is read ahead; a page is kept
`ttl_s` seconds, and at most `entries` of them. A read that failed or expired is computed again by the
request, so read-ahead can make a page come sooner, never different: what a key names must not change
while the key is valid (the caller checks that first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

RUNNING_AT_MOST = 2

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    started: float
    task: asyncio.Task[V]


class ReadAhead(Generic[K, V]):
    """Pages computed ahead, by key; `take` hands one over at most once."""

    def __init__(self, *, entries: int, ttl_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._capacity = entries
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[tuple[type, K], _Entry[V]] = OrderedDict()  # by type too: see state.py

    def start(self, key: K, compute: Callable[[], Coroutine[Any, Any, V]]) -> bool:
        """Compute `key`'s page now, unless it is already under way, read-ahead is off, or enough
        already run; returns whether it started."""
        self._drop_expired()
        typed = (type(key), key)
        if self._capacity == 0 or typed in self._entries or self.running >= RUNNING_AT_MOST:
            return False
        task = asyncio.create_task(compute())
        task.add_done_callback(_retrieve_outcome)
        self._entries[typed] = _Entry(self._clock(), task)
        while len(self._entries) > self._capacity:
            _, oldest = self._entries.popitem(last=False)
            oldest.task.cancel()
        return True

    async def take(self, key: K) -> V | None:
        """`key`'s page, waiting for it if it is still being read; None when there is none (or its read
        failed, or it is too old): the caller reads it itself."""
        entry = self._entries.pop((type(key), key), None)
        if entry is None:
            return None
        if self._expired(entry):
            entry.task.cancel()
            return None
        try:
            return await entry.task
        except asyncio.CancelledError:
            if entry.task.cancelled():  # evicted while we waited, not this request cancelled
                return None
            raise
        except Exception as exc:  # the request reads the page itself, and meets the error if it lasts
            logger.warning("reading a page ahead failed: %s", type(exc).__name__)
            return None

    @property
    def running(self) -> int:
        return sum(1 for entry in self._entries.values() if not entry.task.done())

    def __len__(self) -> int:
        return len(self._entries)

    async def aclose(self) -> None:
        """Cancel what is still being read and forget every page (at shutdown)."""
        entries = list(self._entries.values())
        self._entries.clear()
        for entry in entries:
            entry.task.cancel()
        await asyncio.gather(*(entry.task for entry in entries), return_exceptions=True)

    def _expired(self, entry: _Entry[V]) -> bool:
        return self._clock() - entry.started > self._ttl_s

    def _drop_expired(self) -> None:
        for key in [key for key, entry in self._entries.items() if self._expired(entry)]:
            self._entries.pop(key).task.cancel()


def _retrieve_outcome(task: asyncio.Task[Any]) -> None:
    """Mark a failure seen, so a page nobody took does not log "exception was never retrieved"."""
    if not task.cancelled():
        task.exception()
