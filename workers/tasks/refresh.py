"""Celery task: one attempt at one link refresh."""

from __future__ import annotations

import uuid

from gateway.links import connect
from gateway.links.refresh import refresh_service
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.links.service import link_service
from workers.celery_app import celery_app
from workers.durable import Outcome, run_durable
from workers.names import REFRESH_LINK, SCHEDULE_REFRESHES
from workers.runtime import WorkerRuntime, current_runtime


@celery_app.task(name=REFRESH_LINK)
def refresh_link(job_id: str) -> None:
    current_runtime().run(lambda runtime: _refresh(runtime, uuid.UUID(job_id)))


async def _refresh(runtime: WorkerRuntime, job_id: uuid.UUID) -> Outcome | None:
    async def perform(row_id: uuid.UUID, attempt: int) -> Outcome:
        return await refresh_service.attempt(
            runtime.database, runtime.settings, runtime.providers, row_id, attempt
        )

    return await run_durable(runtime.database, REFRESH_JOBS, job_id, runtime.settings, perform)


@celery_app.task(name=SCHEDULE_REFRESHES)
def schedule_refreshes() -> int:
    return current_runtime().run(_schedule)


async def _schedule(runtime: WorkerRuntime) -> int:
    async with runtime.database.unit_of_work() as session:
        await connect.expire_abandoned(session)  # their links go to error/user_error
        return await link_service.schedule_due_refreshes(
            session, interval_s=runtime.settings.scheduled_refresh_interval_s
        )
