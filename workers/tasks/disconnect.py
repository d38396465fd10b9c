"""Celery task: one attempt at ending a deleted link's connection upstream."""

from __future__ import annotations

import uuid

from gateway.links.disconnects import UPSTREAM_DISCONNECTS, attempt_disconnect
from workers.celery_app import celery_app
from workers.durable import Outcome, run_durable
from workers.names import DISCONNECT_UPSTREAM
from workers.runtime import WorkerRuntime, current_runtime


@celery_app.task(name=DISCONNECT_UPSTREAM)
def disconnect_upstream(row_id: str) -> None:
    current_runtime().run(lambda runtime: _disconnect(runtime, uuid.UUID(row_id)))


async def _disconnect(runtime: WorkerRuntime, row_id: uuid.UUID) -> Outcome | None:
    async def perform(row_id: uuid.UUID, attempt: int) -> Outcome:
        return await attempt_disconnect(
            runtime.database, runtime.settings, runtime.providers, row_id, attempt
        )

    return await run_durable(runtime.database, UPSTREAM_DISCONNECTS, row_id, runtime.settings, perform)
