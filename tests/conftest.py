"""Test session setup: the real Postgres and Redis of this machine, a fresh migrated database per run.

The environment is set before any `gateway` import so settings and the Celery app see it.
"""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

POSTGRES_HOST = os.environ.get("LINKGATE_TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("LINKGATE_TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("LINKGATE_TEST_POSTGRES_USER", "postgres")
REDIS_PORT = int(os.environ.get("LINKGATE_TEST_REDIS_PORT", "6379"))
REDIS_DB = int(os.environ.get("LINKGATE_TEST_REDIS_DB", "9"))
TEST_DATABASE = f"linkgate_test_{os.getpid()}_{secrets.token_hex(3)}"
ADMIN_URL = f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/postgres"
DATABASE_URL = f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{TEST_DATABASE}"
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}"
SECRET_KEY = secrets.token_urlsafe(48)

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log",
}

# Short timings so recovery paths (expired leases, sweeps, retries) run in seconds, not minutes.
TEST_ENVIRONMENT = {
    "LINKGATE_ENV": "development",
    "LINKGATE_DATABASE_URL": DATABASE_URL,
    "LINKGATE_REDIS_URL": REDIS_URL,
    "LINKGATE_SECRET_KEY": SECRET_KEY,
    "LINKGATE_WEBHOOK_TIMEOUT_S": "1.5",
    "LINKGATE_WEBHOOK_RETRY_DELAY_S": "1",
    "LINKGATE_JOB_LEASE_S": "2",
    "LINKGATE_SWEEPER_INTERVAL_S": "0.5",
    "LINKGATE_SWEEPER_GRACE_S": "1",
    "LINKGATE_SCHEDULER_LOCK_TTL_S": "3",
    "LINKGATE_LOG_LEVEL": "INFO",
    # Fake upstreams (tests/fakes/) listen on loopback; only their URL differs from the real ones'.
    "LINKGATE_SIMPLEFIN_ALLOWED_HOSTS": "127.0.0.1",
    # Every test calls from 127.0.0.1 and many fail credentials on purpose; the tests of the rate
    # limits (tests/integration/test_security_limits.py) set their own.
    "LINKGATE_RATE_LIMIT_FAILURES_PER_ADDRESS": "1000000",
    "LINKGATE_RATE_LIMIT_FAILURES_PER_CLIENT": "1000000",
    "LINKGATE_RATE_LIMIT_REQUESTS_PER_ADDRESS": "1000000000",
    "LINKGATE_RATE_LIMIT_SIGNUPS_PER_ADDRESS": "1000000",
    "LINKGATE_LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "1000000",
}
for name in [n for n in os.environ if n.startswith("LINKGATE_") and not n.startswith("LINKGATE_TEST_")]:
    del os.environ[name]
os.environ.update(TEST_ENVIRONMENT)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = [
        f"{name} is not reachable on {host}:{port}. Start it with:\n    {HOW_TO_START[name]}"
        for name, host, port in (
            ("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT),
            ("Redis", "127.0.0.1", REDIS_PORT),
        )
        if not _reachable(host, port)
    ]
    if missing:
        pytest.exit("The test suite needs the real services:\n" + "\n".join(missing), returncode=3)
    _admin_sql(f'CREATE DATABASE "{TEST_DATABASE}"')
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        client.flushdb()  # queues, scheduler lease and rate-limit counters of earlier runs
    from gateway.migrate import upgrade_to_head

    upgrade_to_head(DATABASE_URL)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _reachable(POSTGRES_HOST, POSTGRES_PORT):
        _admin_sql(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)')


def _admin_sql(statement: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def create_database(name: str) -> str:
    """Another empty database (dropped with the session's by the caller), for tests that need one."""
    _admin_sql(f'CREATE DATABASE "{name}"')
    return f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def drop_database(name: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings():
    from gateway.settings import get_settings

    return get_settings()


@pytest.fixture
async def database(settings) -> AsyncIterator[object]:
    from gateway.db import Database
    from workers.enqueue import send_task_request

    db = Database.from_settings(settings, task_sender=send_task_request)
    yield db
    await db.dispose()


@pytest.fixture
async def sandbox_app(database, settings):
    """A developer with one sandbox app, created through the developer service."""
    from gateway.developers.service import developer_service

    async with database.unit_of_work() as session:
        return await developer_service.bootstrap(
            session, email=f"dev-{uuid.uuid4().hex[:8]}@example.com", master_key=settings.master_key()
        )


@pytest.fixture
def redis_client() -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def process_env() -> dict[str, str]:
    """The environment for `linkgate` subprocesses: this machine's services and the short timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")}
    env.update(TEST_ENVIRONMENT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def logs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path
