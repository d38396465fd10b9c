"""Contract-test fixtures: one gateway and worker for this package.

Package-scoped, so they stop before other packages run: the worker would take their tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.moneykit import Gateway, running_gateway


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from running_gateway(Path(tmp_path_factory.mktemp("moneykit")))
