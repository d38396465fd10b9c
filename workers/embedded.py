"""Embedded mode: a Celery worker and beat inside the API process, over Celery's in-memory broker.

The same task code runs as in distributed mode; only the transport and the pool (threads) differ.
"""

from __future__ import annotations

import logging
import threading

from celery import Celery
from celery.beat import _Threaded
from celery.worker import WorkController

from gateway.metrics.definitions import SCHEDULER_LEADER

logger = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, app: Celery, *, threads: int) -> None:
        if not app.conf.broker_url.startswith("memory://"):
            raise RuntimeError("the embedded worker runs only on the in-memory broker")
        self.app = app
        self.threads = threads
        self._controller: WorkController | None = None
        self._thread: threading.Thread | None = None
        self._beat: _Threaded | None = None

    def start(self) -> None:
        self._controller = WorkController(
            app=self.app,
            pool="threads",
            concurrency=self.threads,
            hostname="embedded@linkgate",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel="INFO",
        )
        self._thread = threading.Thread(target=self._controller.start, name="linkgate-worker", daemon=True)
        self._thread.start()
        # Celery's embedded beat thread (what `celery worker -B` runs), with an in-memory schedule.
        beat = _Threaded(self.app, scheduler_cls="celery.beat:Scheduler")
        beat.start()
        self._beat = beat
        SCHEDULER_LEADER.labels("embedded").set(1)  # the only scheduler of its process, by construction
        logger.info("embedded worker (%d threads) and scheduler started", self.threads)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self._beat is not None:
            self._beat.stop()
            SCHEDULER_LEADER.labels("embedded").set(0)
        if self._controller is not None:
            self._controller.stop(in_sighandler=False)
        if self._thread is not None:
            self._thread.join(timeout=15)
