"""The Celery application, configured for at-least-once work whose truth lives in the database."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init, worker_shutdown

from gateway.observability import tracing
from gateway.settings import Settings, get_settings
from workers.names import PURGE_EXPIRED, SCHEDULE_REFRESHES, SWEEP_DUE_WORK

TASK_MODULES = [
    "workers.tasks.webhooks", "workers.tasks.refresh", "workers.tasks.sweeper", "workers.tasks.retention",
    "workers.tasks.disconnect",
]  # fmt: skip
QUEUE = "linkgate"
# Countdowns (webhook retries) stay far below this, so Redis never redelivers a scheduled task early.
VISIBILITY_TIMEOUT_S = 3600
BEAT_MAX_LOOP_INTERVAL_S = 5.0
RETENTION_CHECK_S = 3600.0


def create_celery(settings: Settings) -> Celery:
    app = Celery("linkgate", broker=settings.redis_url or "memory://localhost//", include=TASK_MODULES)
    app.conf.update(
        task_acks_late=True,
        # A killed worker's task is not redelivered by Celery: the sweeper finds its expired lease instead.
        task_reject_on_worker_lost=False,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        # polling_interval matters only to the embedded in-memory broker (its default is 1 s per poll).
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S, "polling_interval": 0.01},
        worker_hijack_root_logger=False,
        worker_soft_shutdown_timeout=10.0,
        enable_utc=True,
        timezone="UTC",
        beat_max_loop_interval=BEAT_MAX_LOOP_INTERVAL_S,
        beat_schedule={
            "sweep-due-work": {"task": SWEEP_DUE_WORK, "schedule": settings.sweeper_interval_s},
            "schedule-refreshes": {
                "task": SCHEDULE_REFRESHES,
                "schedule": settings.scheduled_refresh_check_s,
            },
            "purge-expired": {"task": PURGE_EXPIRED, "schedule": RETENTION_CHECK_S},
        },
    )
    return app


celery_app = create_celery(get_settings())


@worker_init.connect
def _trace_worker(**_: Any) -> None:
    tracing.start("linkgate-worker")


@beat_init.connect
def _trace_scheduler(**_: Any) -> None:
    tracing.start("linkgate-scheduler")


@worker_shutdown.connect
def _flush_traces(**_: Any) -> None:
    tracing.flush()
