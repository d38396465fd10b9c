"""Metrics end to end: two API processes, a worker and a scheduler sharing one metrics directory; after
tokens, failures, a rate-limited request, a refresh and a webhook delivery, one scrape of `/metrics`
has every series with the labels it should have."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.crypto import SecretBox
from gateway.db import Database
from gateway.end_users.service import get_or_create_end_user
from gateway.institutions.catalog import get_institution
from gateway.links.service import link_service
from gateway.settings import get_settings
from providers.base import Connected
from tests.conftest import TEST_ENVIRONMENT
from tests.fakes.simplefin import running_bridge
from tests.support.moneykit import Gateway, forget_rate_limits, sign_up_tenant
from tests.support.processes import (
    PROJECT_ROOT,
    LinkgateProcess,
    free_port,
    serving_linkgate,
    wait_for_http,
    wait_until,
)
from tests.support.receiver import WebhookReceiver
from workers.enqueue import send_task_request

pytestmark = pytest.mark.integration

FAILURES_ALLOWED = 3

Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


@dataclass
class Deployment:
    base_url: str
    scheduler_metrics_url: str

    def scrape(self) -> Samples:
        return scrape(f"{self.base_url}/metrics")

    def value(self, name: str, **labels: str) -> float:
        """The sum of `name`'s samples that carry `labels` (0 when none does)."""
        found = self.scrape().get(name, [])
        return sum(v for sample_labels, v in found if labels.items() <= sample_labels.items())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    forget_rate_limits()
    logs = tmp_path_factory.mktemp("metrics")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")} | TEST_ENVIRONMENT
    env |= {
        "LINKGATE_METRICS_DIR": str(logs / "metrics"),
        "LINKGATE_METRICS_DATABASE_TTL_S": "0",
        "LINKGATE_RATE_LIMIT_FAILURES_PER_ADDRESS": str(FAILURES_ALLOWED),
        "PYTHONUNBUFFERED": "1",
    }
    port, scheduler_port = free_port(), free_port()
    scheduler_env = env | {"LINKGATE_METRICS_PORT": str(scheduler_port)}  # its own port as well
    processes = [
        LinkgateProcess(
            ["serve", "--port", str(port), "--workers", "2"], env, PROJECT_ROOT, logs / "serve.log"
        ),
        LinkgateProcess(["worker", "--concurrency", "2"], env, PROJECT_ROOT, logs / "worker.log"),
        LinkgateProcess(["scheduler"], scheduler_env, PROJECT_ROOT, logs / "scheduler.log"),
    ]
    try:
        wait_for_http(f"http://127.0.0.1:{port}/readyz", process=processes[0])
        wait_until(lambda: " ready." in processes[1].output(), timeout_s=30, what="the worker")
        yield Deployment(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{scheduler_port}/metrics")
    finally:
        for process in processes:
            process.stop()
        forget_rate_limits()


def issue_token(gateway: Gateway) -> str:
    response = httpx.post(
        f"{gateway.base_url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": gateway.client_id,
              "client_secret": gateway.client_secret},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def simplefin_link(app_id: str, access_url: str) -> None:
    """A connected SimpleFIN link on the fake Bridge; its first refresh is sent after the commit."""

    async def create() -> None:
        settings = get_settings()
        database = Database.from_settings(settings, task_sender=send_task_request)
        try:
            async with database.unit_of_work() as session:
                institution = await get_institution(session, "simplefin_bridge")
                assert institution is not None
                user = await get_or_create_end_user(session, uuid.UUID(app_id), f"c-{uuid.uuid4().hex[:8]}")
                await link_service.create_connected(
                    session, box=SecretBox(settings.master_key()), app_id=uuid.UUID(app_id),
                    end_user_id=user.id, institution=institution, products=["transactions"],
                    connection=Connected("sfin-metrics", {"access_url": access_url}),
                )  # fmt: skip
        finally:
            await database.dispose()

    asyncio.run(create())


def test_one_scrape_has_every_series_of_every_process(deployment: Deployment) -> None:
    base = deployment.base_url
    gateway = Gateway(base, sign_up_tenant(base))
    issued_before = deployment.value("linkgate_tokens_issued_total", kind="generic")
    for _ in range(6):  # spread over both API processes; each scrape must count all of them
        issue_token(gateway)
    assert deployment.value("linkgate_tokens_issued_total", kind="generic") == issued_before + 6
    assert deployment.value("linkgate_tokens_issued_total", kind="dashboard") >= 1

    # A refresh (the initial one of a new link), then webhooks to a local receiver.
    with WebhookReceiver() as receiver:
        exchanged = httpx.post(
            f"{base}/v1/moneykit/link-session/exchange-token",
            json={"exchangeable_token": gateway.sandbox_token("user_1")},
            headers=gateway.headers,
        )
        assert exchanged.status_code == 201, exchanged.text
        link_id = exchanged.json()["link_id"]
        gateway.wait_refreshed(link_id)
        patched = httpx.patch(f"{base}/v1/moneykit/links/{link_id}", json={"webhook": receiver.url},
                              headers=gateway.headers)  # fmt: skip
        assert patched.status_code == 200, patched.text
        refreshed = httpx.post(f"{base}/v1/moneykit/links/{link_id}/products",
                               json={"products": ["transactions"]}, headers=gateway.headers)  # fmt: skip
        assert refreshed.status_code == 202, refreshed.text
        wait_until(
            lambda: deployment.value("linkgate_webhook_attempts_total", outcome="delivered") >= 1,
            timeout_s=30,
            what="a delivered webhook in the metrics",
        )
        assert receiver.requests

    # A refresh that calls an upstream: the fake SimpleFIN Bridge, on loopback.
    with running_bridge() as bridge:
        bridge.state.add_connection("CON-1", name="My Bank", org_id="ORG-1", org_name="My Bank")
        bridge.state.add_account("ACT-1", conn_id="CON-1", name="Everyday Checking", balance="10.00")
        simplefin_link(gateway.app_id, bridge.state.issue_access().url)
        wait_until(
            lambda: deployment.value("linkgate_refreshes_total", provider="simplefin") >= 1,
            timeout_s=30,
            what="a SimpleFIN refresh in the metrics",
        )

    # Failed credentials until the address is refused: the rate-limited request comes last.
    headers = {"authorization": "Bearer not-a-token"}
    statuses = [httpx.get(f"{base}/v1/moneykit/links", headers=headers).status_code for _ in range(4)]
    assert statuses == [401] * FAILURES_ALLOWED + [429]
    assert httpx.get(f"{base}/v1/moneykit/links").status_code == 401  # no credentials at all

    wait_until(
        lambda: deployment.value("linkgate_scheduler_leader", mode="distributed") == 1,
        timeout_s=30,
        what="the scheduler to lead",
    )
    samples = deployment.scrape()

    def labels_of(name: str) -> list[dict[str, str]]:
        assert name in samples, f"{name} is not in the scrape"
        return [labels for labels, _ in samples[name]]

    routes = {(s["collection"], s["route"], s["method"], s["status"])
              for s in labels_of("linkgate_http_requests_total")}  # fmt: skip
    assert ("oauth", "/oauth/token", "POST", "200") in routes
    assert ("moneykit", "/v1/moneykit/links/{link_id}", "PATCH", "200") in routes
    assert ("moneykit", "/v1/moneykit/links", "GET", "429") in routes
    assert ("health", "/readyz", "GET", "200") in routes
    assert not any(link_id in part for route in routes for part in route)
    durations = labels_of("linkgate_http_request_duration_seconds_bucket")
    assert {"collection": "moneykit", "route": "/v1/moneykit/links/{link_id}/products", "method": "POST",
            "le": "+Inf"} in durations  # fmt: skip

    failures = {s["reason"]: v for s, v in samples["linkgate_auth_failures_total"]}
    assert failures["invalid_token"] >= FAILURES_ALLOWED
    assert failures["unauthenticated"] >= 1
    assert {"limit": "failures_per_address"} in labels_of("linkgate_rate_limited_total")

    outcomes = {s["outcome"] for s in labels_of("linkgate_webhook_attempts_total")}
    assert "delivered" in outcomes
    assert outcomes <= {"delivered", "rejected", "timeout", "error", "refused"}
    assert {"outcome": "delivered", "le": "+Inf"} in labels_of(
        "linkgate_webhook_attempt_duration_seconds_bucket"
    )

    assert {"provider": "sandbox", "outcome": "succeeded"} in labels_of("linkgate_refreshes_total")
    assert {"provider": "sandbox", "outcome": "succeeded", "le": "+Inf"} in labels_of(
        "linkgate_refresh_duration_seconds_bucket"
    )
    upstream = labels_of("linkgate_upstream_requests_total")
    assert {"provider": "simplefin", "endpoint": "/accounts", "status": "200"} in upstream
    assert {"provider": "simplefin", "endpoint": "/accounts", "le": "+Inf"} in labels_of(
        "linkgate_upstream_request_duration_seconds_bucket"
    )
    assert {"provider": "simplefin", "outcome": "succeeded"} in labels_of("linkgate_refreshes_total")
    runs = labels_of("linkgate_durable_job_runs_total")
    assert {"kind": "refresh_job", "state": "succeeded"} in runs
    assert {"kind": "webhook_delivery", "state": "succeeded"} in runs

    jobs = labels_of("linkgate_durable_jobs")
    for kind in ("webhook_delivery", "refresh_job", "upstream_disconnect"):
        assert {"kind": kind, "state": "pending"} in jobs
        assert {"kind": kind, "state": "running"} in jobs
        assert {"kind": kind} in labels_of("linkgate_durable_jobs_due")
        assert {"kind": kind} in labels_of("linkgate_durable_jobs_oldest_due_age_seconds")
    assert samples["linkgate_metrics_database_up"] == [({}, 1.0)]

    assert samples["linkgate_scheduler_leader"] == [({"mode": "distributed"}, 1.0)]
    pools = labels_of("linkgate_db_pool_connections")
    for role in ("api", "worker"):
        assert {"role": role, "state": "checked_out"} in pools
        assert {"role": role, "state": "idle"} in pools
        assert {"role": role} in labels_of("linkgate_db_pool_max_connections")

    every_value = {v for series in samples.values() for labels, _ in series for v in labels.values()}
    secrets = (gateway.client_secret, gateway.token.access_token, gateway.client_id, link_id, "127.0.0.1")
    assert not any(secret in value for secret in secrets for value in every_value)


def test_metrics_ask_no_credentials_and_count_against_no_limit(deployment: Deployment) -> None:
    for _ in range(FAILURES_ALLOWED + 2):
        assert httpx.get(f"{deployment.base_url}/metrics").status_code == 200


def test_a_metrics_port_serves_the_same_directory_without_the_database_gauges(
    deployment: Deployment,
) -> None:
    wait_for_http(deployment.scheduler_metrics_url)

    def leading() -> bool:
        leaders = scrape(deployment.scheduler_metrics_url).get("linkgate_scheduler_leader", [])
        return ({"mode": "distributed"}, 1.0) in leaders

    wait_until(leading, timeout_s=30, what="the scheduler to lead")
    samples = scrape(deployment.scheduler_metrics_url)
    assert "linkgate_http_requests_total" in samples  # the API processes' files, from the shared directory
    assert "linkgate_metrics_database_up" not in samples  # the API's scrape has them; counted once


def test_embedded_serve_has_them_in_its_one_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")}
    env |= {"PYTHONUNBUFFERED": "1", "LINKGATE_SWEEPER_INTERVAL_S": "0.5"}
    with serving_linkgate(env, tmp_path, tmp_path / "serve.log") as (_, base_url):

        def worker_pool_sampled() -> bool:
            pools = scrape(f"{base_url}/metrics").get("linkgate_db_pool_connections", [])
            return any(labels.get("role") == "worker" for labels, _ in pools)

        wait_until(worker_pool_sampled, timeout_s=30, what="the embedded worker's pool in the metrics")
        samples = scrape(f"{base_url}/metrics")
    assert samples["linkgate_scheduler_leader"] == [({"mode": "embedded"}, 1.0)]
    assert samples["linkgate_metrics_database_up"] == [({}, 1.0)]
    assert ({"kind": "webhook_delivery"}, 0.0) in samples["linkgate_durable_jobs_due"]
    routes = {labels["route"] for labels, _ in samples["linkgate_http_requests_total"]}
    assert "/readyz" in routes
    assert "process_cpu_seconds_total" in samples  # one process: prometheus-client's own series too
