"""Celery task: remove what has outlived its retention period."""

from __future__ import annotations

from gateway.links.service import link_service
from workers.celery_app import celery_app
from workers.names import PURGE_DELETED_LINKS
from workers.runtime import WorkerRuntime, current_runtime


@celery_app.task(name=PURGE_DELETED_LINKS)
def purge_deleted_links() -> int:
    return current_runtime().run(_purge)


async def _purge(runtime: WorkerRuntime) -> int:
    async with runtime.database.unit_of_work() as session:
        return await link_service.purge_deleted(
            session, retention_days=runtime.settings.deleted_link_retention_days
        )
