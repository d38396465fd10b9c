"""Durable background work on the real Redis with real `linkgate worker` / `linkgate scheduler` processes.

Webhook deliveries are the durable work under test: a row first, a task after commit, retries in
the row, and a sweeper that recovers what a Redis flush or a killed worker lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from gateway.models import WebhookAttempt, WebhookDelivery
from gateway.webhooks.service import webhook_service
from tests.support.processes import PROJECT_ROOT, LinkgateProcess, wait_until
from tests.support.receiver import Reply, WebhookReceiver
from workers.celery_app import celery_app
from workers.scheduler import SCHEDULER_LOCK_KEY, SingletonScheduler

StartProcess = Callable[..., LinkgateProcess]


@pytest.fixture(autouse=True)
async def clean_slate(database, redis_client) -> None:
    """No queued tasks or due rows from earlier tests may leak into these counts."""
    redis_client.flushdb()
    async with database.unit_of_work() as session:
        await session.execute(delete(WebhookAttempt))
        await session.execute(delete(WebhookDelivery))


@pytest.fixture
def start(process_env: dict[str, str], logs_dir: Path) -> Iterator[StartProcess]:
    started: list[LinkgateProcess] = []

    def start_process(
        *args: str, ready_marker: str | None = None, env: dict[str, str] | None = None
    ) -> LinkgateProcess:
        log = logs_dir / f"{args[0]}-{len(started)}.log"
        process = LinkgateProcess(list(args), process_env | (env or {}), PROJECT_ROOT, log)
        started.append(process)
        if ready_marker is not None:
            wait_until(lambda: ready_marker in process.output(), timeout_s=30, what=f"{args[0]} to be ready")
        return process

    yield start_process
    for process in started:
        process.stop()


def start_worker(start: StartProcess) -> LinkgateProcess:
    return start("worker", "--concurrency", "2", ready_marker=" ready.")


async def create_deliveries(database, app_id: uuid.UUID, url: str, count: int = 1) -> list[WebhookDelivery]:
    async with database.unit_of_work() as session:
        return [
            await webhook_service.create_delivery(
                session, app_id=app_id, url=url, body=f'{{"n": {n}}}', format="moneykit"
            )
            for n in range(count)
        ]


async def reload(database, delivery_id: uuid.UUID) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    async with database.unit_of_work() as session:
        delivery = (
            await session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
        ).scalar_one()
        attempts = (
            (
                await session.execute(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id == delivery_id)
                    .order_by(WebhookAttempt.attempt_number)
                )
            )
            .scalars()
            .all()
        )
        return delivery, list(attempts)


async def wait_for_status(
    database, delivery_id: uuid.UUID, status: str, timeout_s: float = 30
) -> WebhookDelivery:
    import asyncio
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        delivery, _ = await reload(database, delivery_id)
        if delivery.status == status:
            return delivery
        await asyncio.sleep(0.2)
    raise AssertionError(f"delivery {delivery_id} is {delivery.status!r}, not {status!r}, after {timeout_s}s")


class TestDelivery:
    async def test_first_attempt_is_immediate_and_recorded(self, database, sandbox_app, start) -> None:
        with WebhookReceiver() as receiver:
            start_worker(start)
            (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
            await wait_for_status(database, delivery.id, "succeeded", timeout_s=10)
            row, attempts = await reload(database, delivery.id)

        assert receiver.webhook_ids() == [delivery.webhook_id]
        assert receiver.requests[0].body == b'{"n": 0}'
        assert row.attempts == 1
        assert row.delivered_at is not None
        assert row.lease_expires_at is None
        assert [(a.attempt_number, a.status_code, a.succeeded) for a in attempts] == [(1, 200, True)]
        assert attempts[0].response_excerpt == "ok"

    async def test_failures_are_retried_with_the_same_webhook_id(self, database, sandbox_app, start) -> None:
        statuses = [500, 503, 204]
        with WebhookReceiver(lambda n: Reply(status=statuses[min(n, 2)])) as receiver:
            start_worker(start)
            (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
            await wait_for_status(database, delivery.id, "succeeded", timeout_s=20)
            row, attempts = await reload(database, delivery.id)

        assert receiver.webhook_ids() == [delivery.webhook_id] * 3
        assert len({r.body for r in receiver.requests}) == 1
        assert [(a.status_code, a.succeeded) for a in attempts] == [(500, False), (503, False), (204, True)]
        assert attempts[0].error == "HTTP 500"
        gaps = [
            (b.started_at - a.started_at).total_seconds()
            for a, b in zip(attempts, attempts[1:], strict=False)
        ]
        assert all(gap >= 0.9 for gap in gaps), gaps  # LINKGATE_WEBHOOK_RETRY_DELAY_S=1 in tests

    async def test_three_retries_then_failed(self, database, sandbox_app, start) -> None:
        import asyncio

        with WebhookReceiver(lambda n: Reply(status=500)) as receiver:
            start_worker(start)
            (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
            row = await wait_for_status(database, delivery.id, "failed", timeout_s=20)
            await asyncio.sleep(2.5)  # longer than a retry delay: nothing more may arrive
            _, attempts = await reload(database, delivery.id)

        assert len(receiver.requests) == 4
        assert [a.attempt_number for a in attempts] == [1, 2, 3, 4]
        assert row.last_error == "HTTP 500"
        assert row.finished_at is not None

    async def test_status_outside_200_to_204_is_a_failure(self, database, sandbox_app, start) -> None:
        statuses = [205, 206, 201]
        with WebhookReceiver(lambda n: Reply(status=statuses[min(n, 2)])) as receiver:
            start_worker(start)
            (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
            await wait_for_status(database, delivery.id, "succeeded", timeout_s=15)
            _, attempts = await reload(database, delivery.id)
        assert [(a.status_code, a.succeeded) for a in attempts] == [(205, False), (206, False), (201, True)]

    async def test_a_refused_address_fails_at_once_with_the_reason(
        self, database, sandbox_app, start
    ) -> None:
        with WebhookReceiver() as receiver:
            start("worker", "--concurrency", "2", ready_marker=" ready.",
                  env={"LINKGATE_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "false"})  # fmt: skip
            (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
            row = await wait_for_status(database, delivery.id, "failed", timeout_s=15)
            _, attempts = await reload(database, delivery.id)
        assert receiver.requests == []
        assert row.attempts == 1
        assert row.last_error is not None
        assert row.last_error.startswith("refused: 127.0.0.1 resolves to a non-public address")
        assert [(a.status_code, a.succeeded) for a in attempts] == [(None, False)]

    async def test_a_slow_endpoint_gets_only_its_share_of_the_workers(
        self, database, sandbox_app, start
    ) -> None:
        with WebhookReceiver(lambda n: Reply(delay_s=1.2)) as slow, WebhookReceiver() as fast:
            start("worker", "--concurrency", "4", ready_marker=" ready.",
                  env={"LINKGATE_WEBHOOK_ENDPOINT_CONCURRENCY": "2"})  # fmt: skip
            stuck = await create_deliveries(database, sandbox_app.app_id, slow.url, count=6)
            assert slow.arrived.wait(timeout=10)
            (other,) = await create_deliveries(database, sandbox_app.app_id, fast.url)
            # Two worker threads are free although six deliveries wait for the slow endpoint.
            await wait_for_status(database, other.id, "succeeded", timeout_s=1.0)
            for delivery in stuck:
                row = await wait_for_status(database, delivery.id, "succeeded", timeout_s=20)
                assert row.attempts == 1  # waiting for a slot is not an attempt
        assert slow.max_in_flight == 2
        assert len(slow.requests) == 6

    async def test_a_thousand_deliveries_arrive_each_exactly_as_sent(
        self, database, sandbox_app, start
    ) -> None:
        import asyncio
        import time

        from sqlalchemy import func

        with WebhookReceiver() as receiver:
            deliveries = await create_deliveries(database, sandbox_app.app_id, receiver.url, count=1000)
            start("worker", "--concurrency", "8", ready_marker=" ready.")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                async with database.unit_of_work() as session:
                    done = (
                        await session.execute(
                            select(func.count()).where(WebhookDelivery.status == "succeeded")
                        )
                    ).scalar_one()
                if done == 1000:
                    break
                await asyncio.sleep(0.5)
        assert done == 1000
        sent = {d.webhook_id: d.body.encode() for d in deliveries}
        assert {r.headers["webhook-id"]: r.body for r in receiver.requests} == sent

    async def test_redirects_fail_and_are_never_followed(self, database, sandbox_app, start) -> None:
        with WebhookReceiver() as elsewhere:
            redirect = Reply(status=308, headers={"location": elsewhere.url})
            with WebhookReceiver(lambda n: redirect if n == 0 else Reply(status=200)) as receiver:
                start_worker(start)
                (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
                await wait_for_status(database, delivery.id, "succeeded", timeout_s=15)
                _, attempts = await reload(database, delivery.id)
        assert elsewhere.requests == []
        assert [a.status_code for a in attempts] == [308, 200]

    async def test_timeouts_are_failures(self, database, sandbox_app, start) -> None:
        with WebhookReceiver(lambda n: Reply(delay_s=2.5 if n == 0 else 0)) as receiver:
            start_worker(start)
            (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
            await wait_for_status(database, delivery.id, "succeeded", timeout_s=20)
            _, attempts = await reload(database, delivery.id)
        assert [(a.status_code, a.error) for a in attempts] == [(None, "timed out"), (200, None)]
        assert len(receiver.requests) == 2


class TestNothingIsLost:
    async def test_redis_flush_after_enqueue(self, database, sandbox_app, start, redis_client) -> None:
        with WebhookReceiver() as receiver:
            deliveries = await create_deliveries(database, sandbox_app.app_id, receiver.url, count=5)
            assert redis_client.llen("linkgate") == 1  # one task for the five, sent after commit
            redis_client.flushdb()
            assert redis_client.llen("linkgate") == 0

            start_worker(start)
            start("scheduler", ready_marker="is now the active scheduler")
            for delivery in deliveries:
                await wait_for_status(database, delivery.id, "succeeded", timeout_s=30)

        assert sorted(receiver.webhook_ids()) == sorted(d.webhook_id for d in deliveries)

    async def test_worker_killed_mid_delivery(self, database, sandbox_app, start) -> None:
        # The first request is held long enough to kill the worker while it waits for the answer.
        with WebhookReceiver(lambda n: Reply(delay_s=1.0 if n == 0 else 0)) as receiver:
            doomed = start_worker(start)
            start("scheduler", ready_marker="is now the active scheduler")
            (delivery,) = await create_deliveries(database, sandbox_app.app_id, receiver.url)
            assert receiver.arrived.wait(timeout=15)
            doomed.kill()
            row, _ = await reload(database, delivery.id)
            assert row.status == "running"  # claimed by the dead worker; its lease will expire

            start_worker(start)
            row = await wait_for_status(database, delivery.id, "succeeded", timeout_s=30)
            _, attempts = await reload(database, delivery.id)

        ids = receiver.webhook_ids()
        assert len(ids) >= 2
        assert set(ids) == {delivery.webhook_id}
        assert [a.succeeded for a in attempts].count(True) == 1
        assert row.attempts == 2


class TestScheduler:
    def test_only_one_scheduler_is_active_and_a_standby_takes_over(self, start, redis_client) -> None:
        first = start("scheduler", ready_marker="is now the active scheduler")
        second = start("scheduler", ready_marker="beat: Starting")
        holder = redis_client.get(SCHEDULER_LOCK_KEY)
        assert holder is not None
        wait_until(
            lambda: "Sending due task" in first.output(), timeout_s=10, what="the active scheduler to tick"
        )
        assert "is now the active scheduler" not in second.output()
        assert "Sending due task" not in second.output()

        first.kill()
        wait_until(
            lambda: "is now the active scheduler" in second.output(),
            timeout_s=15,
            what="the standby to take over",
        )
        assert redis_client.get(SCHEDULER_LOCK_KEY) != holder

    def test_the_active_scheduler_takes_its_lease_back_at_once_after_a_redis_flush(
        self, start, redis_client
    ) -> None:
        # A long lease: a scheduler that stood by after the flush would wait a third of it (20 s).
        active = start(
            "scheduler",
            ready_marker="is now the active scheduler",
            env={"LINKGATE_SCHEDULER_LOCK_TTL_S": "60"},
        )
        redis_client.flushdb()
        flushed_at = len(active.output())
        wait_until(
            lambda: redis_client.get(SCHEDULER_LOCK_KEY) is not None,
            timeout_s=8,
            what="the active scheduler to take its lease back",
        )
        wait_until(
            lambda: "Sending due task" in active.output()[flushed_at:],
            timeout_s=8,
            what="the scheduler to send due tasks again",
        )
        assert "standing by" not in active.output()

    def test_a_lease_another_scheduler_holds_is_not_taken(self, redis_client) -> None:
        scheduler = SingletonScheduler(app=celery_app, lazy=True)
        try:
            assert scheduler.hold_lease()
            redis_client.set(SCHEDULER_LOCK_KEY, b"another-scheduler", ex=30)  # ours expired; it took over
            assert not scheduler.hold_lease()
            assert redis_client.get(SCHEDULER_LOCK_KEY) == b"another-scheduler"
        finally:
            scheduler.close()
            redis_client.delete(SCHEDULER_LOCK_KEY)  # no made-up holder left for the next module's schedulers
