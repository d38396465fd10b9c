"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import POSTGRES_HOST, POSTGRES_PORT
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    """A started TCP proxy to the real Postgres, to cut or stop as a restart would."""
    proxy = TcpProxy(POSTGRES_HOST, POSTGRES_PORT)
    proxy.start()
    yield proxy
    proxy.stop()
