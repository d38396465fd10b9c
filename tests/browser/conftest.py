"""Browser tests: Debian's chromium driven by Playwright against a running gateway and worker."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.moneykit import Gateway, running_gateway

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "connect"


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from running_gateway(Path(tmp_path_factory.mktemp("connect")))


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # phone width
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """Where a test keeps its screens (test-artifacts/connect/<test name>/)."""
    folder: Path = ARTIFACTS / str(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
