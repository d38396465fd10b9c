"""Fixtures shared by the integration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.migrate import upgrade_to_head
from tests.conftest import POSTGRES_HOST, POSTGRES_PORT, create_database, drop_database
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    """A started TCP proxy to the real Postgres, to cut or stop as a restart would."""
    proxy = TcpProxy(POSTGRES_HOST, POSTGRES_PORT)
    proxy.start()
    yield proxy
    proxy.stop()


def migrated_postgres() -> Iterator[str]:
    name = f"linkgate_it_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    upgrade_to_head(url)
    yield url
    drop_database(name)


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database migrated to head, once on each dialect."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/linkgate.db"
        upgrade_to_head(url)
        yield url
        return
    yield from migrated_postgres()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new Postgres database migrated to head."""
    yield from migrated_postgres()
