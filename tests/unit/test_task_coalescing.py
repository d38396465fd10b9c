"""Immediate tasks of a batchable kind committed together travel as few messages."""

from __future__ import annotations

from gateway.db import TaskRequest, coalesce


def test_immediate_batchable_requests_merge_up_to_the_limit() -> None:
    requests = [TaskRequest("deliver", (str(n),), batch_limit=3) for n in range(7)]
    merged = coalesce(requests)
    assert [r.args for r in merged] == [("0", "1", "2"), ("3", "4", "5"), ("6",)]


def test_delayed_and_unbatchable_requests_stay_alone_and_in_order() -> None:
    requests = [
        TaskRequest("deliver", ("a",), batch_limit=3),
        TaskRequest("refresh", ("r1",)),
        TaskRequest("deliver", ("b",), countdown=5.0, batch_limit=3),
        TaskRequest("refresh", ("r2",)),
        TaskRequest("deliver", ("c",), batch_limit=3),
    ]
    merged = coalesce(requests)
    assert [(r.name, r.args, r.countdown) for r in merged] == [
        ("deliver", ("a", "c"), None),
        ("refresh", ("r1",), None),
        ("deliver", ("b",), 5.0),
        ("refresh", ("r2",), None),
    ]
