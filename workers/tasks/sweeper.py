"""Celery task: re-send durable work that is due but whose task was lost."""

from __future__ import annotations

import logging

from gateway.links.disconnects import UPSTREAM_DISCONNECTS
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.webhooks.service import WEBHOOK_DELIVERIES
from workers.celery_app import celery_app
from workers.durable import DurableKind, sweep
from workers.names import SWEEP_DUE_WORK
from workers.runtime import WorkerRuntime, current_runtime

logger = logging.getLogger(__name__)

DURABLE_KINDS: tuple[DurableKind, ...] = (WEBHOOK_DELIVERIES, REFRESH_JOBS, UPSTREAM_DISCONNECTS)


@celery_app.task(name=SWEEP_DUE_WORK)
def sweep_due_work() -> int:
    return current_runtime().run(_sweep)


async def _sweep(runtime: WorkerRuntime) -> int:
    async with runtime.database.unit_of_work() as session:
        sent = await sweep(session, DURABLE_KINDS, runtime.settings)
    if sent:
        logger.info("sweeper re-sent %d due task(s)", sent)
    return sent
