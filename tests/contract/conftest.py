"""Contract-test fixtures: one gateway and worker for the whole session's MoneyKit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.moneykit import Gateway, running_gateway


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from running_gateway(Path(tmp_path_factory.mktemp("moneykit")))
