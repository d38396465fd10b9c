"""The two ways to run Linkgate, as real processes: embedded (SQLite, in-process worker) and distributed."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gateway.db import Database
from gateway.models import ApiKey, WebhookDelivery
from gateway.settings import Settings
from gateway.webhooks.service import webhook_service
from tests.conftest import DATABASE_URL, POSTGRES_HOST, POSTGRES_PORT, create_database, drop_database
from tests.support.processes import LinkgateProcess, free_port, serving_linkgate, wait_for_http, wait_until
from tests.support.receiver import Reply, WebhookReceiver
from tests.support.tcp_proxy import TcpProxy


def embedded_env() -> dict[str, str]:
    """A new user's environment: no LINKGATE_* settings at all (only faster sweeps for the test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")}
    env.update(
        {"PYTHONUNBUFFERED": "1", "LINKGATE_SWEEPER_INTERVAL_S": "0.5", "LINKGATE_SWEEPER_GRACE_S": "0"}
    )
    return env


def embedded_server(workdir: Path, log: Path) -> AbstractContextManager[tuple[LinkgateProcess, str]]:
    """`linkgate serve` as a new user runs it, until it is ready; stopped on exit."""
    return serving_linkgate(embedded_env(), workdir, log)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "fresh"
    path.mkdir()
    return path


class TestEmbeddedMode:
    def test_first_start_bootstraps_prints_credentials_once_and_serves(
        self, workdir: Path, logs_dir: Path
    ) -> None:
        with embedded_server(workdir, logs_dir / "serve-1.log") as (server, base_url):
            ready = httpx.get(f"{base_url}/readyz").json()
            assert ready == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
        output = server.output()
        credentials = _printed_credentials(output)
        assert set(credentials) == {"developer_id", "app_id", "client_id", "client_secret"}
        assert (workdir / "linkgate.db").exists()
        assert (workdir / "linkgate.db.secret").exists()
        assert credentials["client_secret"] not in (workdir / "linkgate.db").read_bytes().decode("latin-1")

        with embedded_server(workdir, logs_dir / "serve-2.log") as (again, base_url):
            assert httpx.get(f"{base_url}/healthz").status_code == 200
        assert "client_secret" not in again.output()

    def test_in_process_worker_and_scheduler_deliver_committed_work(
        self, workdir: Path, logs_dir: Path
    ) -> None:
        with embedded_server(workdir, logs_dir / "serve.log") as (server, _):
            app_id = uuid.UUID(_printed_credentials(server.output())["app_id"])
            with WebhookReceiver() as receiver:
                # Written by another process, so only the embedded sweeper can find it: no task was sent.
                delivery_id = asyncio.run(_create_delivery(workdir / "linkgate.db", app_id, receiver.url))
                wait_until(
                    lambda: len(receiver.requests) == 1, timeout_s=20, what="the embedded worker to deliver"
                )
                # The worker records the attempt after the receiver answered: wait for that row too.
                database = workdir / "linkgate.db"
                wait_until(
                    lambda: asyncio.run(_delivery_status(database, delivery_id)) == "succeeded",
                    timeout_s=20, what="the delivery to be recorded as succeeded",
                )  # fmt: skip
            assert len(receiver.requests) == 1

    def test_workers_flag_needs_redis(self, workdir: Path, logs_dir: Path) -> None:
        server = LinkgateProcess(["serve", "--workers", "2"], embedded_env(), workdir, logs_dir / "serve.log")
        assert server.process.wait(timeout=30) != 0
        assert "needs LINKGATE_REDIS_URL" in server.output()

    def test_production_refuses_to_start_without_real_secrets(self, workdir: Path, logs_dir: Path) -> None:
        env = embedded_env() | {"LINKGATE_ENV": "production", "LINKGATE_SECRET_KEY": "changeme"}
        server = LinkgateProcess(["serve"], env, workdir, logs_dir / "serve.log")
        assert server.process.wait(timeout=30) != 0
        assert "refusing to start" in server.output()
        assert not (workdir / "linkgate.db").exists()


def _printed_credentials(output: str) -> dict[str, str]:
    fields = ("developer_id", "app_id", "client_id", "client_secret")
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in fields:
            found[parts[0]] = parts[1]
    return found


async def _create_delivery(db_file: Path, app_id: uuid.UUID, url: str) -> uuid.UUID:
    database = Database.from_settings(Settings(database_url=f"sqlite:///{db_file}", redis_url=None))
    try:
        async with database.unit_of_work() as session:
            delivery = await webhook_service.create_delivery(
                session, app_id=app_id, url=url, body="{}", format="moneykit"
            )
        return delivery.id
    finally:
        await database.dispose()


async def _delivery_status(db_file: Path, delivery_id: uuid.UUID) -> str:
    database = Database.from_settings(Settings(database_url=f"sqlite:///{db_file}", redis_url=None))
    try:
        async with database.unit_of_work() as session:
            row = (
                await session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
            ).scalar_one()
            return row.status
    finally:
        await database.dispose()


@pytest.fixture
def proxied_database(process_env: dict[str, str]) -> Iterator[tuple[TcpProxy, dict[str, str]]]:
    """A fresh database reached through a proxy the test can stop, as if Postgres went down."""
    name = f"linkgate_dist_{uuid.uuid4().hex[:8]}"
    create_database(name)
    proxy = TcpProxy(POSTGRES_HOST, POSTGRES_PORT)
    proxy.start()
    env = process_env | {
        "LINKGATE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}",
        "LINKGATE_READINESS_TIMEOUT_S": "1",
    }
    yield proxy, env
    proxy.stop()
    drop_database(name)


class TestDistributedMode:
    def test_migrate_two_api_processes_worker_scheduler_and_readiness(
        self, proxied_database: tuple[TcpProxy, dict[str, str]], logs_dir: Path, tmp_path: Path
    ) -> None:
        proxy, env = proxied_database
        migrate = LinkgateProcess(["migrate"], env, tmp_path, logs_dir / "migrate.log")
        assert migrate.process.wait(timeout=60) == 0, migrate.output()
        bootstrap = LinkgateProcess(["bootstrap", "--json"], env, tmp_path, logs_dir / "bootstrap.log")
        assert bootstrap.process.wait(timeout=60) == 0, bootstrap.output()
        app_id = json.loads(bootstrap.output().strip().splitlines()[-1])["app_id"]

        port = free_port()
        processes = [
            LinkgateProcess(
                ["serve", "--port", str(port), "--workers", "2"], env, tmp_path, logs_dir / "api.log"
            ),
            LinkgateProcess(["worker", "--concurrency", "2"], env, tmp_path, logs_dir / "worker.log"),
            LinkgateProcess(["scheduler"], env, tmp_path, logs_dir / "scheduler.log"),
        ]
        api, worker, _ = processes
        try:
            wait_for_http(f"http://127.0.0.1:{port}/readyz", process=api)
            wait_until(lambda: " ready." in worker.output(), timeout_s=30, what="the worker")
            wait_until(
                lambda: api.output().count("Application startup complete") == 2,
                timeout_s=30,
                what="both API processes",
            )

            with WebhookReceiver() as receiver:
                asyncio.run(
                    _create_delivery_in(env["LINKGATE_DATABASE_URL"], uuid.UUID(app_id), receiver.url)
                )
                wait_until(lambda: len(receiver.requests) == 1, timeout_s=20, what="the worker to deliver")

            proxy.stop()
            wait_for_http(f"http://127.0.0.1:{port}/readyz", status=503, timeout_s=15)
            for _ in range(6):  # whichever API process answers
                response = httpx.get(f"http://127.0.0.1:{port}/readyz")
                assert response.status_code == 503
                body = response.json()
                assert body["status"] == "unavailable"
                assert body["checks"]["database"].startswith("error")
                assert body["checks"]["broker"] == "ok"
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            wait_until(  # uvicorn's API processes log requests through Linkgate's logging too
                lambda: " linkgate.access: GET /healthz 200 " in api.output(),
                timeout_s=5,
                what="the access log line",
            )

            proxy.start()
            wait_for_http(f"http://127.0.0.1:{port}/readyz", status=200, timeout_s=15)
        finally:
            for process in processes:
                process.stop()

    def test_readiness_reflects_an_unreachable_broker(
        self, process_env, logs_dir: Path, tmp_path: Path
    ) -> None:
        env = process_env | {"LINKGATE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
        port = free_port()
        api = LinkgateProcess(["serve", "--port", str(port)], env, tmp_path, logs_dir / "api.log")
        try:
            wait_for_http(f"http://127.0.0.1:{port}/readyz", status=503, process=api)
            body = httpx.get(f"http://127.0.0.1:{port}/readyz").json()
            assert body["checks"] == {"database": "ok", "broker": "error: ConnectionError"}
        finally:
            api.stop()


async def _create_delivery_in(database_url: str, app_id: uuid.UUID, url: str) -> tuple[uuid.UUID, str]:
    from workers.enqueue import send_task_request

    settings = Settings(database_url=database_url)
    database = Database.from_settings(settings, task_sender=send_task_request)
    try:
        async with database.unit_of_work() as session:
            delivery = await webhook_service.create_delivery(
                session, app_id=app_id, url=url, body="{}", format="moneykit"
            )
        return delivery.id, delivery.webhook_id
    finally:
        await database.dispose()


async def _status_in(database_url: str, delivery_id: uuid.UUID) -> str | None:
    database = Database.from_settings(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            row = await session.get(WebhookDelivery, delivery_id)
            return row.status if row is not None else None
    except OSError:
        return None  # the database is still down
    finally:
        await database.dispose()


def test_a_database_restart_during_a_delivery_loses_nothing(
    proxied_database: tuple[TcpProxy, dict[str, str]], logs_dir: Path, tmp_path: Path
) -> None:
    proxy, env = proxied_database
    for command in (["migrate"], ["bootstrap", "--json"]):
        done = LinkgateProcess(command, env, tmp_path, logs_dir / f"{command[0]}.log")
        assert done.process.wait(timeout=60) == 0, done.output()
    app_id = json.loads(done.output().strip().splitlines()[-1])["app_id"]
    worker = LinkgateProcess(["worker", "--concurrency", "2"], env, tmp_path, logs_dir / "worker.log")
    scheduler = LinkgateProcess(["scheduler"], env, tmp_path, logs_dir / "scheduler.log")
    try:
        wait_until(lambda: " ready." in worker.output(), timeout_s=30, what="the worker")
        # The first answer is held while the database goes away under the worker and comes back.
        with WebhookReceiver(lambda n: Reply(delay_s=1.0 if n == 0 else 0)) as receiver:
            delivery_id, webhook_id = asyncio.run(
                _create_delivery_in(env["LINKGATE_DATABASE_URL"], uuid.UUID(app_id), receiver.url)
            )
            assert receiver.arrived.wait(timeout=15)
            proxy.stop()
            time.sleep(1.5)
            proxy.start()
            wait_until(
                lambda: asyncio.run(_status_in(env["LINKGATE_DATABASE_URL"], delivery_id)) == "succeeded",
                timeout_s=30,
                what="the delivery to succeed after the restart",
            )
        assert set(receiver.webhook_ids()) == {webhook_id}  # retried, never a new id
    finally:
        worker.stop()
        scheduler.stop()


def test_bootstrap_is_idempotent_by_email_and_stores_only_an_hmac(
    process_env, logs_dir: Path, tmp_path: Path
) -> None:
    email = f"boot-{uuid.uuid4().hex[:6]}@example.com"
    outputs = []
    for n in range(2):
        process = LinkgateProcess(
            ["bootstrap", "--json", "--email", email], process_env, tmp_path, logs_dir / f"b{n}.log"
        )
        assert process.process.wait(timeout=60) == 0, process.output()
        outputs.append(json.loads(process.output().strip().splitlines()[-1]))
    first, second = outputs
    assert {"developer_id", "app_id", "client_id", "client_secret"} <= set(first)
    assert (first["developer_id"], first["app_id"]) == (second["developer_id"], second["app_id"])
    assert first["client_id"] != second["client_id"]
    assert first["client_secret"] != second["client_secret"]
    assert first["created_developer"] is True
    assert second["created_developer"] is False

    stored = asyncio.run(_api_key_rows(first["app_id"]))
    from gateway.crypto import hash_api_secret

    master = process_env["LINKGATE_SECRET_KEY"]
    assert {row.client_id: row.secret_hash for row in stored} == {
        first["client_id"]: hash_api_secret(master, first["client_secret"]),
        second["client_id"]: hash_api_secret(master, second["client_secret"]),
    }


async def _api_key_rows(app_id: str) -> list[ApiKey]:
    database = Database.from_settings(Settings(database_url=DATABASE_URL))
    try:
        async with database.unit_of_work() as session:
            result = await session.execute(select(ApiKey).where(ApiKey.app_id == uuid.UUID(app_id)))
            return list(result.scalars().all())
    finally:
        await database.dispose()
