"""Celery beat with a Redis lease, so only one scheduler sends periodic tasks however many run."""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

import redis
from celery.beat import Scheduler
from redis.lock import Lock

from gateway.metrics.definitions import SCHEDULER_LEADER
from gateway.settings import get_settings

logger = logging.getLogger(__name__)

SCHEDULER_LOCK_KEY = "linkgate:scheduler:lock"


class SingletonScheduler(Scheduler):
    """Ticks only while it holds the scheduler lease; a standby retries until the holder disappears."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        settings = get_settings()
        if settings.redis_url is None:
            raise RuntimeError("the distributed scheduler needs LINKGATE_REDIS_URL")
        self.lock_ttl_s = settings.scheduler_lock_ttl_s
        self._redis = redis.Redis.from_url(settings.redis_url)
        self._lock: Lock = self._redis.lock(SCHEDULER_LOCK_KEY, timeout=self.lock_ttl_s, blocking=False)
        self._holding = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        # Tick at least three times per lease so the holder renews well before it expires.
        renew_every = self.lock_ttl_s / 3
        if not self.hold_lease():
            return renew_every
        interval: float = super().tick(*args, **kwargs)
        return min(interval, renew_every)

    def hold_lease(self) -> bool:
        """Renew the lease if ours, else try to take it. True while this scheduler is the active one.

        A renewal that finds the lease gone (Redis flushed or restarted) takes it back at once rather
        than standing by for a tick with no sweeps; only a lease another scheduler holds is left alone.
        """
        was_holding = self._holding
        try:
            renewed = was_holding and self._renew()
            # SET NX: succeeds only if no scheduler holds the lease now.
            self._holding = renewed or bool(self._lock.acquire(blocking=False))
        except redis.exceptions.RedisError:
            logger.warning("scheduler cannot reach Redis; standing by", exc_info=True)
            self._holding = False
            SCHEDULER_LEADER.labels("distributed").set(0)
            return False
        SCHEDULER_LEADER.labels("distributed").set(1 if self._holding else 0)
        if was_holding and not renewed:
            if self._holding:
                logger.warning("scheduler lease had vanished (Redis flushed or restarted); took it back")
            else:
                logger.warning("scheduler lost its lease; standing by")
        elif self._holding and not was_holding:
            logger.info("scheduler %s is now the active scheduler", socket.gethostname())
        return self._holding

    def _renew(self) -> bool:
        """Extend our lease; False if it is no longer ours (expired, flushed, or another's)."""
        try:
            self._lock.reacquire()
        except redis.exceptions.LockError:
            return False
        return True

    def close(self) -> None:
        if self._holding:
            with contextlib.suppress(redis.exceptions.RedisError):
                self._lock.release()
            self._holding = False
        SCHEDULER_LEADER.labels("distributed").set(0)
        super().close()
