"""Contract-test fixtures: one gateway and worker for this package, reached through a validating proxy.

Package-scoped, so they stop before other packages run: the worker would take their tasks. Every
response a test (or a fixture it uses) receives is judged against its collection's official
description (tests/support/conformance); a mismatch fails the test phase in which it was received.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.support.conformance import ValidatingProxy
from tests.support.moneykit import Gateway, running_gateway

PROXY = ValidatingProxy(upstream="")


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from running_gateway(Path(tmp_path_factory.mktemp("moneykit")), proxy=PROXY)


def _fail_on_mismatches(phase: str) -> None:
    mismatches = PROXY.take_mismatches()
    if mismatches:
        listed = "\n".join(str(m) for m in mismatches)
        count = len(mismatches)
        pytest.fail(f"{count} response(s) in {phase} that the official description does not allow:\n{listed}",
                    pytrace=False)  # fmt: skip


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield
    _fail_on_mismatches("setup")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield
    _fail_on_mismatches("the test")
