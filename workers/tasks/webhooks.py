"""Celery task: one attempt at each of a few webhook deliveries (those committed together)."""

from __future__ import annotations

import uuid

from gateway.webhooks.delivery import WebhookDeliverer
from workers.celery_app import celery_app
from workers.names import DELIVER_WEBHOOK
from workers.runtime import WorkerRuntime, current_runtime


@celery_app.task(name=DELIVER_WEBHOOK)
def deliver_webhooks(*delivery_ids: str) -> None:
    ids = [uuid.UUID(delivery_id) for delivery_id in delivery_ids]
    current_runtime().run(lambda runtime: _deliver(runtime, ids))


async def _deliver(runtime: WorkerRuntime, delivery_ids: list[uuid.UUID]) -> None:
    deliverer = WebhookDeliverer(
        runtime.database, runtime.http, runtime.settings, runtime.rings, runtime.endpoint_slots
    )
    await deliverer.deliver(delivery_ids)
