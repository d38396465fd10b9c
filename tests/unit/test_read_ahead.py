"""`ReadAhead`: a page computed ahead is handed over once, never when it failed, expired or was evicted;
it stays within its bounds, and keys of different types never meet."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

import pytest

from gateway.transactions.read_ahead import RUNNING_AT_MOST, ReadAhead


class PageKey(NamedTuple):
    link: str
    position: int


class OtherKey(NamedTuple):
    link: str
    position: int


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def page(value: str) -> Any:
    async def compute() -> str:
        return value

    return compute


def run(scenario: Any) -> None:
    asyncio.run(scenario())


def test_a_page_is_taken_once() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=4)
        assert ahead.start(PageKey("a", 1), page("first"))
        assert await ahead.take(PageKey("a", 1)) == "first"
        assert await ahead.take(PageKey("a", 1)) is None
        assert await ahead.take(PageKey("a", 2)) is None

    run(scenario)


def test_take_waits_for_a_page_still_being_read() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=4)
        release = asyncio.Event()

        async def slow() -> str:
            await release.wait()
            return "late"

        ahead.start(PageKey("a", 1), slow)
        taking = asyncio.create_task(ahead.take(PageKey("a", 1)))
        await asyncio.sleep(0)
        assert not taking.done()
        release.set()
        assert await taking == "late"

    run(scenario)


def test_no_entries_means_off() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=0)
        assert not ahead.start(PageKey("a", 1), page("x"))
        assert await ahead.take(PageKey("a", 1)) is None

    run(scenario)


def test_a_key_already_under_way_is_not_read_twice() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=4)
        assert ahead.start(PageKey("a", 1), page("one"))
        assert not ahead.start(PageKey("a", 1), page("two"))
        assert await ahead.take(PageKey("a", 1)) == "one"

    run(scenario)


def test_only_so_many_run_at_once() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=10)
        release = asyncio.Event()

        async def blocked() -> str:
            await release.wait()
            return "done"

        started = [ahead.start(PageKey("a", n), blocked) for n in range(RUNNING_AT_MOST + 1)]
        assert started == [True] * RUNNING_AT_MOST + [False]
        release.set()
        assert await ahead.take(PageKey("a", 0)) == "done"
        await ahead.take(PageKey("a", 1))
        assert ahead.start(PageKey("a", 9), page("now there is room"))
        await ahead.aclose()

    run(scenario)


def test_the_oldest_page_makes_room_and_is_cancelled() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=2)
        never = asyncio.Event()

        async def stuck() -> str:
            await never.wait()
            return "never"

        ahead.start(PageKey("a", 1), stuck)
        ahead.start(PageKey("a", 2), page("two"))
        await asyncio.sleep(0)  # "two" completes, so a third may start
        ahead.start(PageKey("a", 3), page("three"))
        assert len(ahead) == 2
        assert await ahead.take(PageKey("a", 1)) is None
        assert await ahead.take(PageKey("a", 2)) == "two"
        assert await ahead.take(PageKey("a", 3)) == "three"

    run(scenario)


def test_an_expired_page_is_read_again_by_the_caller() -> None:
    async def scenario() -> None:
        clock = Clock()
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=4, ttl_s=60, clock=clock)
        ahead.start(PageKey("a", 1), page("old"))
        clock.now += 61
        assert await ahead.take(PageKey("a", 1)) is None
        ahead.start(PageKey("a", 2), page("also old"))
        clock.now += 61
        ahead.start(PageKey("a", 3), page("fresh"))  # starting sweeps what expired
        assert len(ahead) == 1

    run(scenario)


def test_a_failed_read_leaves_the_page_to_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=4)

        async def broken() -> str:
            raise ConnectionError("the database went away")

        ahead.start(PageKey("a", 1), broken)
        assert await ahead.take(PageKey("a", 1)) is None

    run(scenario)
    assert "reading a page ahead failed: ConnectionError" in caplog.text


def test_keys_of_different_types_are_kept_apart() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[Any, str] = ReadAhead(entries=4)
        ahead.start(PageKey("a", 1), page("plaid's"))
        assert await ahead.take(OtherKey("a", 1)) is None
        assert await ahead.take(PageKey("a", 1)) == "plaid's"

    run(scenario)


def test_closing_cancels_what_is_still_read() -> None:
    async def scenario() -> None:
        ahead: ReadAhead[PageKey, str] = ReadAhead(entries=4)
        cancelled = asyncio.Event()

        async def endless() -> str:
            try:
                await asyncio.Event().wait()
            finally:
                cancelled.set()
            return "never"

        ahead.start(PageKey("a", 1), endless)
        await asyncio.sleep(0)
        await ahead.aclose()
        assert cancelled.is_set()
        assert len(ahead) == 0

    run(scenario)
