"""The operator's commands, run as real processes: `linkgate doctor` (on the real Postgres and a real
Redis it then stops) and `linkgate webhooks replay` (with a real worker sending to a local receiver)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from gateway.models import WebhookAttempt, WebhookDelivery
from gateway.webhooks.service import webhook_service
from tests.conftest import create_database, drop_database
from tests.support.processes import PROJECT_ROOT, LinkgateProcess, free_port, wait_until
from tests.support.receiver import Reply, WebhookReceiver

pytestmark = pytest.mark.integration


def linkgate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args], env=env, cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def findings(env: dict[str, str]) -> tuple[int, dict[str, dict[str, object]]]:
    # A generous timeout: a first connection to a database just created can wait out the checkpoint
    # CREATE DATABASE forces, and these tests are about what doctor finds, not how fast.
    done = linkgate(env | {"LINKGATE_READINESS_TIMEOUT_S": "15"}, "doctor", "--json")
    return done.returncode, {line["check"]: line for line in map(json.loads, done.stdout.splitlines())}


@dataclass
class OwnRedis:
    process: subprocess.Popen[bytes]
    port: int

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A Redis server of this test's own, on loopback, that the test may stop."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is part of this machine (Redis 7)"
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    redis = OwnRedis(server, port)
    yield redis
    if server.poll() is None:
        redis.stop()


class TestDoctor:
    def test_a_healthy_deployment_passes_and_a_stopped_broker_fails(
        self, process_env: dict[str, str], own_redis: OwnRedis
    ) -> None:
        env = process_env | {"LINKGATE_REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/0"}

        def answering() -> bool:
            return findings(env)[1]["broker"]["ok"] is True

        wait_until(answering, timeout_s=20, what="the new Redis to answer")
        status, found = findings(env)
        assert status == 0
        assert list(found) == ["settings", "database", "migrations", "broker", "providers", "clock"]
        assert all(finding["ok"] for finding in found.values()), found
        assert "distributed" in str(found["settings"]["detail"])

        own_redis.stop()
        status, found = findings(env)
        assert status == 1
        assert found["broker"]["ok"] is False
        assert f"127.0.0.1:{own_redis.port} does not answer" in str(found["broker"]["detail"])
        assert [name for name, finding in found.items() if not finding["ok"]] == ["broker"]

    def test_a_database_behind_the_code_fails_and_says_what_to_run(self, process_env: dict[str, str]) -> None:
        name = f"linkgate_doctor_{uuid.uuid4().hex[:8]}"
        url = create_database(name)
        try:
            status, found = findings(process_env | {"LINKGATE_DATABASE_URL": url})
        finally:
            drop_database(name)
        assert status == 1
        assert found["migrations"]["ok"] is False
        assert "run `linkgate migrate`" in str(found["migrations"]["detail"])
        assert found["database"]["ok"] is True, found["database"]

    def test_production_on_a_placeholder_secret_fails_without_showing_it(
        self, process_env: dict[str, str]
    ) -> None:
        done = linkgate(
            process_env | {"LINKGATE_ENV": "production", "LINKGATE_SECRET_KEY": "changeme"}, "doctor"
        )
        assert done.returncode == 1
        assert done.stdout.splitlines()[0].startswith("FAIL settings")
        assert "changeme" not in done.stdout + done.stderr


@pytest.fixture
async def no_deliveries(database, redis_client) -> None:
    """No queued tasks or deliveries of earlier tests may be sent by this test's worker."""
    redis_client.flushdb()
    async with database.unit_of_work() as session:
        await session.execute(delete(WebhookAttempt))
        await session.execute(delete(WebhookDelivery))


async def delivery_of(database, delivery_id: uuid.UUID) -> WebhookDelivery:
    async with database.unit_of_work() as session:
        query = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
        row: WebhookDelivery = (await session.execute(query)).scalar_one()
        return row


async def ended(database, app_id: uuid.UUID, url: str, body: str, status: str) -> WebhookDelivery:
    async with database.unit_of_work() as session:
        created = await webhook_service.create_delivery(
            session, app_id=app_id, url=url, body=body, format="moneykit", event_type="link.updated"
        )
    deadline = time.monotonic() + 20
    while (row := await delivery_of(database, created.id)).status != status:
        assert time.monotonic() < deadline, f"the delivery is {row.status}, not {status}"
        await asyncio.sleep(0.1)
    return row


async def test_replay_sends_the_failed_deliveries_again_through_a_worker(
    database, sandbox_app, process_env: dict[str, str], logs_dir: Path, no_deliveries: None
) -> None:
    since = dt.datetime.now(dt.UTC).isoformat()
    outage = [500, 500]  # the receiver is down for the first two requests, then answers
    with WebhookReceiver(lambda n: Reply(status=outage[n] if n < len(outage) else 200)) as receiver:
        worker = LinkgateProcess(
            ["worker", "--concurrency", "2"],
            process_env | {"LINKGATE_WEBHOOK_MAX_RETRIES": "0", "LINKGATE_LOG_FORMAT": "json"},
            PROJECT_ROOT, logs_dir / "worker.log",
        )  # fmt: skip
        try:
            wait_until(lambda: " ready." in worker.output(), timeout_s=30, what="the worker")
            app = str(sandbox_app.app_id)
            lost = [await ended(database, sandbox_app.app_id, receiver.url, f'{{"n": {n}}}', "failed")
                    for n in range(2)]  # fmt: skip
            delivered = await ended(database, sandbox_app.app_id, receiver.url, '{"n": 2}', "succeeded")

            listed = linkgate(process_env, "webhooks", "replay", "--app", app, "--since", since, "--dry-run")
            assert listed.returncode == 0, listed.stderr
            assert listed.stdout.splitlines()[-1] == "2 to send"
            assert {str(row.id) for row in lost} <= set(listed.stdout.split())
            assert len(receiver.requests) == 3  # a dry run sends nothing

            done = linkgate(process_env, "webhooks", "replay", "--app", app, "--since", since)
            assert done.returncode == 0, done.stderr
            assert done.stdout.splitlines()[-1] == "2 sent again"
            wait_until(lambda: len(receiver.requests) == 5, timeout_s=20, what="the replays to arrive")
        finally:
            worker.stop()

    replayed = receiver.requests[3:]
    assert sorted(r.body for r in replayed) == [b'{"n": 0}', b'{"n": 1}']
    assert not {r.headers["webhook-id"] for r in replayed} & {row.webhook_id for row in [*lost, delivered]}
    new_ids = [uuid.UUID(line.split()[-1]) for line in done.stdout.splitlines()[:-1]]
    rows = [await delivery_of(database, new_id) for new_id in new_ids]
    assert {(row.trigger, row.status, row.url) for row in rows} == {("replay", "succeeded", receiver.url)}
    # The worker's JSON lines: one per run of each delivery, with how it ended.
    lines = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    runs = {line["job_id"]: line for line in lines if line["logger"] == "linkgate.jobs"}
    for row, outcome in [*((row, "failed") for row in lost), (delivered, "succeeded"),
                         *((row, "succeeded") for row in rows)]:  # fmt: skip
        run = runs[str(row.id)]
        assert (run["kind"], run["attempt"], run["outcome"]) == ("webhook_delivery", 1, outcome)


def test_replay_refuses_an_unknown_app_and_a_time_that_is_not_one(process_env: dict[str, str]) -> None:
    unknown = linkgate(process_env, "webhooks", "replay", "--app", str(uuid.uuid4()), "--since", "2026-01-01")
    assert unknown.returncode == 1
    assert "no app" in unknown.stderr
    bad = linkgate(process_env, "webhooks", "replay", "--app", str(uuid.uuid4()), "--since", "yesterday")
    assert bad.returncode == 2
    assert "'yesterday' is not an ISO 8601 time" in bad.stderr
