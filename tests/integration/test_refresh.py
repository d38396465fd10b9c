"""Refreshes as durable jobs on a real worker, writing every product and the per-link change log."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.crypto import SecretBox
from gateway.end_users.service import get_or_create_end_user
from gateway.institutions.catalog import get_institution, sync_institutions
from gateway.links.service import link_service
from gateway.models import (
    Account,
    AccountNumber,
    AccountOwner,
    Holding,
    InvestmentTransaction,
    Link,
    RefreshJob,
    Transaction,
    WebhookEvent,
)
from gateway.transactions.repository import transaction_repository
from providers.base import Connected
from providers.registry import ProviderRegistry
from providers.sandbox.aba import is_valid_routing_number
from providers.sandbox.adapter import SandboxProvider
from tests.support.processes import PROJECT_ROOT, LinkgateProcess, wait_until

ALL_PRODUCTS = ["accounts", "account_numbers", "identity", "transactions", "investments"]


SANDBOX_ONLY = ProviderRegistry({"sandbox": SandboxProvider()})


@pytest.fixture
def worker(process_env: dict[str, str], logs_dir: Path, redis_client) -> Iterator[LinkgateProcess]:
    redis_client.flushdb()
    process = LinkgateProcess(
        ["worker", "--concurrency", "2"], process_env, PROJECT_ROOT, logs_dir / "worker.log"
    )
    wait_until(lambda: " ready." in process.output(), timeout_s=30, what="the worker")
    yield process
    process.stop()


async def connect_link(database, settings, app_id: uuid.UUID, username: str = "user_1") -> Link:
    connection = await SandboxProvider().complete(
        "credentials_bank", {}, {"username": username, "password": "pass_good"}
    )
    assert isinstance(connection, Connected)
    async with database.unit_of_work() as session:
        await sync_institutions(session, SANDBOX_ONLY)
        institution = await get_institution(session, "credentials_bank")
        assert institution is not None
        user = await get_or_create_end_user(session, app_id, f"customer-{uuid.uuid4().hex[:6]}")
        return await link_service.create_connected(
            session, box=SecretBox(settings.master_key()), app_id=app_id, end_user_id=user.id,
            institution=institution, connection=connection, products=ALL_PRODUCTS,
        )  # fmt: skip


async def wait_for_jobs(database, link_id: uuid.UUID, done: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with database.unit_of_work() as session:
            finished = (
                await session.execute(
                    select(func.count()).where(
                        RefreshJob.link_id == link_id, RefreshJob.status == "succeeded"
                    )
                )
            ).scalar_one()
        if finished >= done:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{done} refresh(es) of {link_id} did not finish in {timeout_s}s")


async def count(database, model, link_or_account_filter) -> int:
    async with database.unit_of_work() as session:
        return int(
            (
                await session.execute(select(func.count()).select_from(model).where(link_or_account_filter))
            ).scalar_one()
        )


async def change_log(
    database, app_id: uuid.UUID, link_id: uuid.UUID, after: int
) -> list[tuple[int, str, str, bool]]:
    async with database.unit_of_work() as session:
        changes = await transaction_repository.changes_since(session, app_id, link_id, after, limit=100)
        return [(c.change_seq, c.change_kind, c.record.description, c.record.pending) for c in changes]


async def events(database, link_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    async with database.unit_of_work() as session:
        rows = (
            await session.execute(
                select(WebhookEvent).where(WebhookEvent.link_id == link_id).order_by(WebhookEvent.created_at)
            )
        ).scalars()
        return [(row.event_type, row.payload) for row in rows]


async def test_two_refreshes_follow_the_seed_through_the_change_log(
    database, settings, sandbox_app, worker
) -> None:
    app_id = sandbox_app.app_id
    link = await connect_link(database, settings, app_id)
    await wait_for_jobs(database, link.id, 1)

    assert await change_log(database, app_id, link.id, 0) == [
        (1, "created", "Coffee", False),
        (2, "created", "Food", True),
    ]
    assert await count(database, Account, Account.link_id == link.id) == 4
    async with database.unit_of_work() as session:
        numbers = (
            (await session.execute(select(AccountNumber).join(Account).where(Account.link_id == link.id)))
            .scalars()
            .all()
        )
        stored = await session.get(Link, link.id)
        assert stored is not None
        assert (stored.transactions_seq, stored.transactions_cursor) == (2, "r1")
        assert set(stored.product_status) == set(ALL_PRODUCTS)
        assert b"user_1" not in (stored.credentials_encrypted or "").encode()  # the provider state is sealed
    assert len(numbers) == 2
    assert all(is_valid_routing_number(n.routing_number or "") for n in numbers)
    assert await count(database, AccountOwner, AccountOwner.app_id == app_id) >= 4
    assert await count(database, Holding, Holding.link_id == link.id) == 3
    assert await count(database, InvestmentTransaction, InvestmentTransaction.link_id == link.id) == 2
    first_events = await events(database, link.id)
    assert first_events[0] == ("link.state_changed", {"state": "connected"})
    assert ("transactions.updates_available", {"created": 2, "updated": 0, "removed": 0}) in first_events

    async with database.unit_of_work() as session:
        stored = await session.get(Link, link.id)
        assert stored is not None
        await link_service.request_refresh(session, stored, ["transactions"], trigger="manual")
    await wait_for_jobs(database, link.id, 2)

    assert await change_log(database, app_id, link.id, 2) == [
        (3, "updated", "Food", False), (4, "created", "Drinks", True), (5, "created", "Taxi", False),
    ]  # fmt: skip
    async with database.unit_of_work() as session:
        food = (
            await session.execute(
                select(Transaction).where(Transaction.link_id == link.id, Transaction.description == "Food")
            )
        ).scalar_one()
    assert (food.change_kind, food.pending) == ("updated", False)
    assert ("transactions.updates_available", {"created": 2, "updated": 1, "removed": 0}) in await events(
        database, link.id
    )


async def test_a_duplicate_task_changes_nothing(database, settings, sandbox_app, worker) -> None:
    from gateway.links.refresh_jobs import REFRESH_JOBS
    from workers.celery_app import celery_app

    link = await connect_link(database, settings, sandbox_app.app_id, username="user_good")
    await wait_for_jobs(database, link.id, 1)
    async with database.unit_of_work() as session:
        job = (await session.execute(select(RefreshJob).where(RefreshJob.link_id == link.id))).scalar_one()
        stored = await session.get(Link, link.id)
        assert stored is not None
        before = stored.transactions_seq
    duplicate = REFRESH_JOBS.task_for(job.id)
    task_id = uuid.uuid4().hex  # as if Redis redelivered it; its id tells when the worker has run it
    celery_app.send_task(duplicate.name, args=list(duplicate.args), task_id=task_id)
    wait_until(lambda: f"[{task_id}] succeeded" in worker.output(), timeout_s=30, what="the duplicate task")
    async with database.unit_of_work() as session:
        after = await session.get(Link, link.id)
        assert after is not None
        assert (after.transactions_seq, after.transactions_cursor) == (before, "r1")
    assert before == 25  # 24 posted history transactions and one pending


async def test_a_link_of_a_provider_switched_off_fails_its_refresh_with_the_reason(
    database, settings, sandbox_app, redis_client
) -> None:
    from gateway.links.refresh import refresh_service
    from gateway.links.refresh_jobs import REFRESH_JOBS
    from workers.durable import Failed, claim

    link = await connect_link(database, settings, sandbox_app.app_id)
    redis_client.flushdb()  # no worker here: this test runs the attempt itself
    async with database.unit_of_work() as session:
        job = (await session.execute(select(RefreshJob).where(RefreshJob.link_id == link.id))).scalar_one()
        attempt = await claim(session, REFRESH_JOBS, job.id, lease_s=30)
    assert attempt is not None
    outcome = await refresh_service.attempt(database, settings, ProviderRegistry({}), job.id, attempt)
    assert outcome == Failed("provider sandbox is not configured in this deployment")


async def test_institution_trouble_is_retried_and_shown_on_the_products_until_a_refresh_succeeds(
    database, settings, sandbox_app, redis_client
) -> None:
    from gateway.links.refresh import refresh_service
    from gateway.links.refresh_jobs import REFRESH_JOBS
    from providers.base import RetryLater as Unavailable
    from workers.durable import RetryLater, Succeeded, claim

    class BankDown(SandboxProvider):
        async def accounts(self, connection):
            raise Unavailable("the bank answered 503", defer_s=120)

    link = await connect_link(database, settings, sandbox_app.app_id)
    redis_client.flushdb()  # no worker here: this test runs the attempts itself

    async def attempt_with(provider: SandboxProvider) -> object:
        async with database.unit_of_work() as session:
            job = (
                await session.execute(select(RefreshJob).where(RefreshJob.link_id == link.id))
            ).scalar_one()
            job.status, job.next_run_at = "pending", job.created_at  # as the retry would leave it, due now
            attempt = await claim(session, REFRESH_JOBS, job.id, lease_s=30)
        assert attempt is not None
        registry = ProviderRegistry({"sandbox": provider})
        return await refresh_service.attempt(database, settings, registry, job.id, attempt)

    outcome = await attempt_with(BankDown())
    assert isinstance(outcome, RetryLater)
    assert outcome.delay_s == 120
    async with database.unit_of_work() as session:
        stored = await session.get(Link, link.id)
        assert stored is not None
        assert stored.state == "connected"
        assert stored.product_status["transactions"]["error_code"] == "institution_error"
    assert isinstance(await attempt_with(SandboxProvider()), Succeeded)
    async with database.unit_of_work() as session:
        stored = await session.get(Link, link.id)
        assert stored is not None
        assert stored.product_status["transactions"]["error_code"] is None


async def test_a_provider_asking_for_reconnection_puts_the_link_in_error(
    database, settings, sandbox_app, monkeypatch, redis_client
) -> None:
    from gateway.links.refresh import refresh_service
    from gateway.links.refresh_jobs import REFRESH_JOBS
    from providers.base import ReconnectRequired
    from workers.durable import Failed, claim

    class ExpiredConsent(SandboxProvider):
        async def accounts(self, connection):
            raise ReconnectRequired("consent expired", error_code="auth_expired")

    link = await connect_link(database, settings, sandbox_app.app_id)
    redis_client.flushdb()  # no worker here: this test runs the attempt itself
    async with database.unit_of_work() as session:
        job = (await session.execute(select(RefreshJob).where(RefreshJob.link_id == link.id))).scalar_one()
        attempt = await claim(session, REFRESH_JOBS, job.id, lease_s=30)
    assert attempt == 1
    providers = ProviderRegistry({"sandbox": ExpiredConsent()})
    outcome = await refresh_service.attempt(database, settings, providers, job.id, attempt)
    assert isinstance(outcome, Failed)
    async with database.unit_of_work() as session:
        stored = await session.get(Link, link.id)
        assert stored is not None
        assert (stored.state, stored.error_code) == ("error", "auth_expired")
    assert ("link.state_changed", {"state": "error", "error": "auth_expired"}) in await events(
        database, link.id
    )


async def test_scheduled_refreshes_pick_only_stale_links_once(
    database, settings, sandbox_app, redis_client
) -> None:
    import datetime as dt

    stale = await connect_link(database, settings, sandbox_app.app_id)
    fresh = await connect_link(database, settings, sandbox_app.app_id, username="user_good")
    redis_client.flushdb()  # no worker: the jobs are only looked at
    five_years = 5 * 365 * 86400.0
    async with database.unit_of_work() as session:
        # While the initial refresh waits, nothing more is queued, however stale the link.
        stored = await session.get(Link, stale.id)
        assert stored is not None
        stored.last_synced_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=3650)
        recent = await session.get(Link, fresh.id)
        assert recent is not None
        recent.last_synced_at = dt.datetime.now(dt.UTC)
    mine = [stale.id, fresh.id]

    async def scheduled_for_mine() -> list[uuid.UUID]:
        async with database.unit_of_work() as session:
            statement = select(RefreshJob.link_id).where(
                RefreshJob.trigger == "scheduled", RefreshJob.link_id.in_(mine)
            )
            return list((await session.execute(statement)).scalars())

    async with database.unit_of_work() as session:
        await link_service.schedule_due_refreshes(session, interval_s=five_years)
    assert await scheduled_for_mine() == []  # the initial refresh is still waiting
    async with database.unit_of_work() as session:
        for job in (await session.execute(select(RefreshJob).where(RefreshJob.link_id.in_(mine)))).scalars():
            job.status = "succeeded"
    for _ in range(2):  # the second pass finds the first one's job waiting and adds nothing
        async with database.unit_of_work() as session:
            await link_service.schedule_due_refreshes(session, interval_s=five_years)
    assert await scheduled_for_mine() == [stale.id]


async def link_data_counts(database, link_id: uuid.UUID) -> list[int]:
    return [
        await count(database, Account, Account.link_id == link_id),
        await count(database, AccountNumber, AccountNumber.account_id.in_(
            select(Account.id).where(Account.link_id == link_id))),
        await count(database, Transaction, Transaction.link_id == link_id),
        await count(database, Holding, Holding.link_id == link_id),
        await count(database, InvestmentTransaction, InvestmentTransaction.link_id == link_id),
    ]  # fmt: skip


async def test_deleting_a_link_erases_its_data_now_and_its_record_after_retention(
    database, settings, sandbox_app, worker
) -> None:
    import datetime as dt

    link = await connect_link(database, settings, sandbox_app.app_id)
    kept = await connect_link(database, settings, sandbox_app.app_id)
    await wait_for_jobs(database, link.id, 1)
    await wait_for_jobs(database, kept.id, 1)
    assert all(await link_data_counts(database, link.id))

    async with database.unit_of_work() as session:
        stored = await session.get(Link, link.id)
        assert stored is not None
        await link_service.delete(session, stored)
    assert await link_data_counts(database, link.id) == [0, 0, 0, 0, 0]
    assert all(await link_data_counts(database, kept.id))  # another link of the same app keeps its data
    async with database.unit_of_work() as session:
        stored = await session.get(Link, link.id)
        assert stored is not None
        assert (stored.state, stored.credentials_encrypted) == ("deleted", None)
        # 89 days on, the record is still there; after 91 it is purged, and only deleted links are.
        stored.deleted_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=89)
    async with database.unit_of_work() as session:
        assert await link_service.purge_deleted(session, retention_days=90) == 0
        stored = await session.get(Link, link.id)
        assert stored is not None
        stored.deleted_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=91)
    async with database.unit_of_work() as session:
        assert await link_service.purge_deleted(session, retention_days=90) == 1
    async with database.unit_of_work() as session:
        assert await session.get(Link, link.id) is None
        assert await session.get(Link, kept.id) is not None
        jobs = select(func.count()).where(RefreshJob.link_id == link.id)
        assert (await session.execute(jobs)).scalar_one() == 0


async def test_a_refresh_that_finishes_after_deletion_stores_nothing(
    database, settings, sandbox_app, monkeypatch, redis_client
) -> None:
    from gateway.links import refresh
    from gateway.links.refresh_jobs import REFRESH_JOBS
    from workers.durable import Failed, claim

    link = await connect_link(database, settings, sandbox_app.app_id)
    redis_client.flushdb()  # no worker here: this test runs the attempt itself

    class UserDeletesMeanwhile(SandboxProvider):
        async def read(self, *args: Any) -> Any:
            fetched = await super().read(*args)
            async with database.unit_of_work() as session:
                stored = await session.get(Link, link.id)
                assert stored is not None
                await link_service.delete(session, stored)
            return fetched

    async with database.unit_of_work() as session:
        job = (await session.execute(select(RefreshJob).where(RefreshJob.link_id == link.id))).scalar_one()
        attempt = await claim(session, REFRESH_JOBS, job.id, lease_s=30)
    assert attempt is not None
    providers = ProviderRegistry({"sandbox": UserDeletesMeanwhile()})
    outcome = await refresh.refresh_service.attempt(database, settings, providers, job.id, attempt)
    assert isinstance(outcome, Failed)
    assert "deleted" in outcome.error
    assert await link_data_counts(database, link.id) == [0, 0, 0, 0, 0]


async def test_an_abandoned_connect_session_leaves_its_link_in_user_error(
    database, settings, sandbox_app, redis_client
) -> None:
    import datetime as dt

    from gateway.links import connect
    from gateway.models import LinkSession

    box = SecretBox(settings.master_key())
    async with database.unit_of_work() as session:
        await sync_institutions(session, SANDBOX_ONLY)
        user = await get_or_create_end_user(session, sandbox_app.app_id, f"customer-{uuid.uuid4().hex[:6]}")
        token = await connect.create_session(
            session, app_id=sandbox_app.app_id, end_user_id=user.id, redirect_uri=None,
            products=ALL_PRODUCTS, institution_id="credentials_bank",
        )  # fmt: skip
        untouched = await connect.create_session(
            session, app_id=sandbox_app.app_id, end_user_id=user.id, redirect_uri=None, products=ALL_PRODUCTS
        )
    async with database.unit_of_work() as session:
        link_session = await connect.open_session(session, token)
        await connect.submit_credentials(
            session, link_session, box, SANDBOX_ONLY, {"username": "user_good", "password": "pass_good"}
        )
        link_id = link_session.link_id
        assert link_id is not None
        link_session.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    redis_client.flushdb()  # no worker: only the rows matter
    async with database.unit_of_work() as session:
        assert await connect.expire_abandoned(session) >= 1
    async with database.unit_of_work() as session:
        link = await session.get(Link, link_id)
        assert link is not None
        assert (link.state, link.error_code) == ("error", "user_error")
        states = {
            row.token_hash: row.state
            for row in (
                await session.execute(select(LinkSession).where(LinkSession.end_user_id == user.id))
            ).scalars()
        }
    from gateway.links.sessions import token_hash

    assert states == {
        token_hash(token): "expired",
        token_hash(untouched): "created",
    }  # the other has time left
    assert ("link.state_changed", {"state": "error", "error": "user_error"}) in await events(
        database, link_id
    )
