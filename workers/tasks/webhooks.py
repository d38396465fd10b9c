"""Celery task: one attempt at one webhook delivery."""

from __future__ import annotations

import uuid

from gateway.webhooks.service import WEBHOOK_DELIVERIES, webhook_service
from workers.celery_app import celery_app
from workers.durable import Outcome, run_durable
from workers.names import DELIVER_WEBHOOK
from workers.runtime import WorkerRuntime, current_runtime


@celery_app.task(name=DELIVER_WEBHOOK)
def deliver_webhook(delivery_id: str) -> None:
    current_runtime().run(lambda runtime: _deliver(runtime, uuid.UUID(delivery_id)))


async def _deliver(runtime: WorkerRuntime, delivery_id: uuid.UUID) -> Outcome | None:
    async def perform(row_id: uuid.UUID, attempt: int) -> Outcome:
        return await webhook_service.attempt(
            runtime.database,
            runtime.http,
            runtime.settings,
            runtime.rings,
            runtime.endpoint_slots,
            row_id,
            attempt,
        )

    return await run_durable(runtime.database, WEBHOOK_DELIVERIES, delivery_id, runtime.settings, perform)
