"""Celery task: remove what has outlived its retention period (deleted links, old webhook events)."""

from __future__ import annotations

from datetime import timedelta

from gateway.links.service import link_service
from gateway.maintenance.queries import purge_disconnects_finished_before, purge_webhook_events_before
from gateway.models.base import utcnow
from workers.celery_app import celery_app
from workers.names import PURGE_EXPIRED
from workers.runtime import WorkerRuntime, current_runtime


@celery_app.task(name=PURGE_EXPIRED)
def purge_expired() -> int:
    return current_runtime().run(_purge)


async def _purge(runtime: WorkerRuntime) -> int:
    settings = runtime.settings
    async with runtime.database.unit_of_work() as session:
        links = await link_service.purge_deleted(session, retention_days=settings.deleted_link_retention_days)
        cutoff = utcnow() - timedelta(days=settings.webhook_event_retention_days)
        events = await purge_webhook_events_before(session, cutoff)
        disconnects = await purge_disconnects_finished_before(session, cutoff)
    return links + events + disconnects
