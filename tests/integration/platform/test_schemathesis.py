"""Schemathesis over the platform routes of a real `linkgate serve`: no input may cause a server error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from tests.conftest import TEST_ENVIRONMENT
from tests.integration.platform.conftest import PASSWORD
from tests.support.processes import PROJECT_ROOT, LinkgateProcess, free_port, wait_for_http

PLATFORM_PREFIXES = (
    "/oauth",
    "/v1/dashboard",
    "/v1/developer",
    "/v1/webhooks",
    "/.well-known",
    "/healthz",
    "/readyz",
)


class PlatformServer:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        email = f"fuzz-{os.getpid()}@example.com"
        with httpx.Client(base_url=base_url, timeout=10) as http:
            http.post("/v1/dashboard/signup", json={"email": email, "password": PASSWORD, "name": "Fuzz"})
            session = http.post("/v1/dashboard/login", json={"email": email, "password": PASSWORD}).json()[
                "token"
            ]
            self.dashboard = {"authorization": f"Bearer {session}"}
            app_id = http.post(
                "/v1/dashboard/apps", json={"name": "Fuzz", "mode": "sandbox"}, headers=self.dashboard
            )
            key = http.post(
                f"/v1/dashboard/apps/{app_id.json()['app_id']}/keys",
                json={"name": "k"},
                headers=self.dashboard,
            )
            credentials = {
                "grant_type": "client_credentials",
                **{k: key.json()[k] for k in ("client_id", "client_secret")},
            }
            self.tokens = {
                kind: {
                    "authorization": "Bearer "
                    + http.post("/oauth/token", data=credentials | extra).json()["token"]
                }
                for kind, extra in (
                    ("generic", {}),
                    ("user", {"guid": "USR-fuzz"}),
                    ("item", {"item_id": "itm"}),
                )
            }

    def headers_for(self, path: str) -> dict[str, str]:
        if path.startswith("/v1/dashboard"):
            return self.dashboard
        if path == "/v1/developer/user":
            return self.tokens["user"]
        if path == "/v1/developer/item":
            return self.tokens["item"]
        return self.tokens["generic"]


@pytest.fixture(scope="module")
def platform_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformServer]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")} | TEST_ENVIRONMENT
    env["LINKGATE_LOG_LEVEL"] = "WARNING"
    env["LINKGATE_LOGIN_MAX_ATTEMPTS_PER_ADDRESS"] = "1000000"  # every request comes from 127.0.0.1
    port = free_port()
    logs = tmp_path_factory.mktemp("schemathesis")
    server = LinkgateProcess(["serve", "--port", str(port)], env, PROJECT_ROOT, Path(logs) / "serve.log")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/readyz", process=server)
        yield PlatformServer(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def platform_operations(base_url: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), "the gateway's OpenAPI schema must be valid"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    return [op for op in operations if op.path.startswith(PLATFORM_PREFIXES)]


def test_no_server_errors(platform_server: PlatformServer) -> None:
    """Every platform operation, fed generated valid and invalid input, never answers 5xx."""
    operations = platform_operations(platform_server.base_url)
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def exercise(case: Any) -> None:
            response = case.call(
                base_url=platform_server.base_url, headers=platform_server.headers_for(case.path)
            )
            case.validate_response(response, checks=[not_a_server_error])
            assert response.headers.get("x-request-id")

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
