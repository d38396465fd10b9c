"""A running gateway with a real worker and two tenants, for contract tests of the MoneyKit collection."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import moneykit
from moneykit.api import AccessTokenApi, LinksApi

from tests.conftest import TEST_ENVIRONMENT
from tests.support.conformance import ValidatingProxy
from tests.support.credential_ledger import CredentialLedger
from tests.support.metrics_scrape import assert_metrics_after_contract_run
from tests.support.processes import PROJECT_ROOT, LinkgateProcess, free_port, wait_for_http, wait_until


class Gateway:
    def __init__(self, base_url: str, credentials: dict[str, str]) -> None:
        self.base_url = base_url
        self.client_id, self.client_secret = credentials["client_id"], credentials["client_secret"]
        self.app_id = credentials["app_id"]
        self.dashboard = {"authorization": f"Bearer {credentials['session']}"}
        self.api = moneykit.ApiClient(moneykit.Configuration(host=f"{base_url}/v1/moneykit"))
        token = AccessTokenApi(self.api).create_access_token(
            grant_type="client_credentials", client_id=self.client_id, client_secret=self.client_secret
        )
        self.api.configuration.access_token = token.access_token
        self.token = token
        self.other_tenant: Gateway | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token.access_token}"}

    def sandbox_token(self, username: str = "user_1", customer: str | None = None) -> str:
        response = httpx.post(
            f"{self.base_url}/v1/moneykit/sandbox/exchangeable-token",
            json={"institution_id": "credentials_bank", "customer_user": {"id": customer or uuid.uuid4().hex},
                  "username": username, "password": "pass_good"},
            headers={"authorization": f"Bearer {self.token.access_token}"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        token: str = response.json()["exchangeable_token"]
        return token

    def get(self, path: str) -> Any:
        response = httpx.get(
            f"{self.base_url}/v1/moneykit{path}",
            headers={"authorization": f"Bearer {self.token.access_token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def wait_refreshed(self, link_id: str, after: str | None = None) -> Any:
        def refreshed() -> bool:
            transactions = LinksApi(self.api).get_link(link_id).products.transactions
            return transactions is not None and transactions.refreshed_at is not None and (
                after is None or transactions.refreshed_at.isoformat() > after
            )  # fmt: skip

        wait_until(refreshed, timeout_s=30, what=f"link {link_id} to refresh")
        return LinksApi(self.api).get_link(link_id)


def sign_up_tenant(base_url: str) -> dict[str, str]:
    """A developer signed up through the dashboard API, with a sandbox app and one API key."""
    email, password = f"mk-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery staple"
    with httpx.Client(base_url=f"{base_url}/v1/dashboard") as http:
        assert (
            http.post("/signup", json={"email": email, "password": password, "name": "Dev"}).status_code
            == 201
        )
        login = http.post("/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        session = login.json()["token"]
        headers = {"authorization": f"Bearer {session}"}
        app = http.post("/apps", json={"name": "App", "mode": "sandbox"}, headers=headers)
        assert app.status_code == 201, app.text
        app_id = app.json()["app_id"]
        key = http.post(f"/apps/{app_id}/keys", json={"name": "server"}, headers=headers)
        assert key.status_code == 201, key.text
    return {"session": session, "app_id": app_id} | {k: key.json()[k] for k in ("client_id", "client_secret")}


def forget_rate_limits() -> None:
    """Earlier packages' dashboard logins count against this machine's address; these tests start afresh."""
    import redis

    from gateway.ratelimit import KEY_PREFIX

    with redis.Redis.from_url(TEST_ENVIRONMENT["LINKGATE_REDIS_URL"]) as client:
        for key in client.scan_iter(f"{KEY_PREFIX}*"):
            client.delete(key)


def running_gateway(
    logs: Path, proxy: ValidatingProxy | None = None, extra_env: Mapping[str, str] | None = None
) -> Iterator[Gateway]:
    """Serve and work until the caller is done; the sandbox allows 3 refreshes a day per link.

    With a `proxy`, the tests reach the gateway only through it (`Gateway.base_url` is the proxy's);
    `extra_env` adds settings (an upstream's URL, say), `LINKGATE_BASE_URL` being the gateway's own.

    The processes log JSON lines at every level. When they have stopped, every line they wrote is
    searched for every credential the proxy saw cross it (and the tenants' own): one found fails the
    caller's teardown, naming it only by its first characters."""
    forget_rate_limits()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")} | TEST_ENVIRONMENT
    # Every level is logged, as production's JSON lines, so the credential scan below covers them all.
    env |= {"LINKGATE_SANDBOX_REFRESHES_PER_DAY": "3", "PYTHONUNBUFFERED": "1", "LINKGATE_LOG_FORMAT": "json",
            "LINKGATE_LOG_LEVEL": "DEBUG", "LINKGATE_METRICS_DIR": str(logs / "metrics")}  # fmt: skip
    port = free_port()
    if extra_env is not None:
        env |= {"LINKGATE_BASE_URL": f"http://127.0.0.1:{port}"} | dict(extra_env)
    ledger = proxy.credentials if proxy is not None else CredentialLedger()
    server = LinkgateProcess(["serve", "--port", str(port)], env, PROJECT_ROOT, logs / "serve.log")
    worker = LinkgateProcess(["worker", "--concurrency", "2"], env, PROJECT_ROOT, logs / "worker.log")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/readyz", process=server)
        wait_until(lambda: " ready." in worker.output(), timeout_s=30, what="the worker")
        base_url = f"http://127.0.0.1:{port}"
        if proxy is not None:
            proxy.upstream = base_url
            proxy.start()
            base_url = proxy.url
        tenants = [sign_up_tenant(base_url), sign_up_tenant(base_url)]
        ledger.note(secret for tenant in tenants for secret in (tenant["client_secret"], tenant["session"]))
        first = Gateway(base_url, tenants[0])
        first.other_tenant = Gateway(base_url, tenants[1])
        yield first
        if proxy is not None:
            assert_metrics_after_contract_run(f"http://127.0.0.1:{port}/metrics", proxy.paths)
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()
        worker.stop()
    _assert_no_credential_logged(ledger, [server, worker])


def _assert_no_credential_logged(ledger: CredentialLedger, processes: list[LinkgateProcess]) -> None:
    for process in processes:
        lines = process.output().splitlines()
        leaked = {f"{process.args[0]}.log line {n}": found for n, line in enumerate(lines, 1)
                  if (found := ledger.leaks(line))}  # fmt: skip
        assert not leaked, f"credentials in the gateway's logs: {leaked}"
