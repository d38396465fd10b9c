"""Durable work: claim a row with a lease, finish it with an outcome, sweep what was lost.

A row moves `pending -> running -> succeeded | failed`, or back to `pending` with a later
`next_run_at` when it should be retried. The attempt number is the fencing token: a worker whose
lease expired (and whose row another worker reclaimed) cannot overwrite the newer attempt's result.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import Database, TaskRequest, enqueue_after_commit
from gateway.maintenance.queries import lost_durable_rows, mark_sent
from gateway.metrics.definitions import DURABLE_JOB_RUNS
from gateway.models.base import utcnow
from gateway.observability.logs import fields
from gateway.settings import Settings

logger = logging.getLogger("linkgate.jobs")

# Countdown tasks can arrive a hair before `next_run_at` when clocks differ across machines.
CLOCK_SLACK = timedelta(seconds=2)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Succeeded:
    pass


@dataclass(frozen=True)
class RetryLater:
    delay_s: float
    error: str


@dataclass(frozen=True)
class Failed:
    error: str


@dataclass(frozen=True)
class Deferred:
    """Not attempted (for example its endpoint is busy): run again after `delay_s`, and this claim does
    not count as an attempt."""

    delay_s: float
    reason: str


Outcome = Succeeded | RetryLater | Failed | Deferred


@dataclass(frozen=True)
class DurableKind:
    """A table of durable work and the task that performs one row of it."""

    name: str
    model: type[Any]
    task_name: str
    max_attempts: Callable[[Settings], int]
    # Rows one task may carry (its arguments are row ids); immediate sends of one commit are merged.
    batch_limit: int = 1

    def task_for(self, row_id: uuid.UUID, countdown: float | None = None) -> TaskRequest:
        return TaskRequest(self.task_name, (str(row_id),), countdown=countdown, batch_limit=self.batch_limit)


async def claim(session: AsyncSession, kind: DurableKind, row_id: uuid.UUID, lease_s: float) -> int | None:
    """Take the row if it is due and nobody holds a live lease; returns this attempt's number."""
    return (await claim_many(session, kind, [row_id], lease_s)).get(row_id)


async def claim_many(
    session: AsyncSession, kind: DurableKind, row_ids: Sequence[uuid.UUID], lease_s: float
) -> dict[uuid.UUID, int]:
    """`claim` for several rows in one statement: the attempt number of each row taken."""
    model, now = kind.model, utcnow()
    statement = (
        update(model)
        .where(
            model.id.in_(row_ids),
            model.next_run_at <= now + CLOCK_SLACK,
            or_(model.status == "pending", and_(model.status == "running", model.lease_expires_at < now)),
        )
        .values(
            status="running",
            attempts=model.attempts + 1,
            lease_expires_at=now + timedelta(seconds=lease_s),
            enqueued_for=None,
        )
        .returning(model.id, model.attempts)
    )
    return {row_id: attempt for row_id, attempt in (await session.execute(statement)).all()}


@dataclass(frozen=True)
class _Ending:
    """How one outcome leaves a row: the column values, and the delay of the task to send, if any."""

    values: dict[str, Any]
    retry_after_s: float | None

    def key(self) -> tuple[Any, ...]:
        return tuple(sorted((k, repr(v)) for k, v in self.values.items())) + (self.retry_after_s,)


def _ending(kind: DurableKind, attempt: int, outcome: Outcome, settings: Settings, now: datetime) -> _Ending:
    model = kind.model
    match outcome:
        case Succeeded():
            return _Ending({"status": "succeeded", "finished_at": now, "last_error": None}, None)
        case RetryLater(delay_s=delay, error=error) if attempt < kind.max_attempts(settings):
            run_at = now + timedelta(seconds=delay)
            return _Ending({"status": "pending", "next_run_at": run_at, "enqueued_for": run_at,
                            "last_error": error}, delay)  # fmt: skip
        case Deferred(delay_s=delay, reason=reason):
            run_at = now + timedelta(seconds=delay)
            return _Ending({"status": "pending", "next_run_at": run_at, "enqueued_for": run_at,
                            "last_error": reason, "attempts": model.attempts - 1}, delay)  # fmt: skip
        case RetryLater(error=error) | Failed(error=error):
            return _Ending({"status": "failed", "finished_at": now, "last_error": error}, None)
    raise AssertionError(outcome)


async def finish(
    session: AsyncSession,
    kind: DurableKind,
    row_id: uuid.UUID,
    attempt: int,
    outcome: Outcome,
    settings: Settings,
) -> bool:
    """Record the outcome of `attempt`; False when a newer attempt owns the row now."""
    return row_id in await finish_many(session, kind, [(row_id, attempt, outcome)], settings)


async def finish_many(
    session: AsyncSession,
    kind: DurableKind,
    finished: Sequence[tuple[uuid.UUID, int, Outcome]],
    settings: Settings,
) -> set[uuid.UUID]:
    """`finish` for several rows, one statement per distinct ending; the rows still ours."""
    model, now = kind.model, utcnow()
    groups: dict[tuple[Any, ...], tuple[_Ending, list[tuple[uuid.UUID, int]]]] = {}
    for row_id, attempt, outcome in finished:
        ending = _ending(kind, attempt, outcome, settings, now)
        groups.setdefault(ending.key(), (ending, []))[1].append((row_id, attempt))
    matched: set[uuid.UUID] = set()
    for ending, rows in groups.values():
        statement = (
            update(model)
            .where(tuple_(model.id, model.attempts).in_(rows), model.status == "running")
            .values(lease_expires_at=None, **ending.values)
            .returning(model.id)
        )
        ours = set((await session.execute(statement)).scalars())
        if ours:
            DURABLE_JOB_RUNS.labels(kind.name, _run_state(ending)).inc(len(ours))
            _log_runs(kind, [(row_id, attempt) for row_id, attempt in rows if row_id in ours], ending)
        matched |= ours
        if ending.retry_after_s is not None:
            for row_id in ours:
                enqueue_after_commit(session, kind.task_for(row_id, countdown=ending.retry_after_s))
    return matched


def _log_runs(kind: DurableKind, runs: Sequence[tuple[uuid.UUID, int]], ending: _Ending) -> None:
    """One line per run: the job, its kind, the attempt and how it ended (never the error's text, which
    can quote what an upstream said; it is on the row)."""
    outcome = _run_state(ending)
    for row_id, attempt in runs:
        logger.info(
            "job %s %s attempt %d: %s", kind.name, row_id, attempt, outcome,
            extra=fields(job_id=str(row_id), kind=kind.name, attempt=attempt, outcome=outcome),
        )  # fmt: skip


def _run_state(ending: _Ending) -> str:
    """succeeded, failed, retrying (pending again after an attempt) or deferred (not attempted)."""
    status = str(ending.values["status"])
    if status != "pending":
        return status
    return "deferred" if "attempts" in ending.values else "retrying"


async def sweep(session: AsyncSession, kinds: Sequence[DurableKind], settings: Settings) -> int:
    """Re-send every due row whose task is overdue or whose worker's lease expired (every app's: the
    query is in gateway/maintenance/queries.py)."""
    now = utcnow()
    overdue = now - timedelta(seconds=settings.sweeper_grace_s)
    sent = 0
    for kind in kinds:
        ids = await lost_durable_rows(session, kind.model, now=now, sent_before=overdue, limit=SWEEP_BATCH)
        if not ids:
            continue
        await mark_sent(session, kind.model, ids, now)
        for row_id in ids:
            enqueue_after_commit(session, kind.task_for(row_id))
        sent += len(ids)
    return sent


Perform = Callable[[uuid.UUID, int], Awaitable[Outcome]]


async def run_durable(
    database: Database, kind: DurableKind, row_id: uuid.UUID, settings: Settings, perform: Perform
) -> Outcome | None:
    """Claim, perform outside any transaction, finish. None when the row was not ours to run."""
    async with database.unit_of_work() as session:
        attempt = await claim(session, kind, row_id, settings.job_lease_s)
    if attempt is None:
        return None
    outcome: Outcome
    if attempt > kind.max_attempts(settings):
        outcome = Failed("attempts exhausted: the last attempt's worker was lost")
    else:
        outcome = await perform(row_id, attempt)
    async with database.unit_of_work() as session:
        await finish(session, kind, row_id, attempt, outcome, settings)
    return outcome
