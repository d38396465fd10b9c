"""What the instrumented code records: upstream calls by template, webhook outcomes, database gauges
read within their TTL and left out when the database does not answer."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from gateway.db import Database
from gateway.metrics import database as database_gauges
from gateway.metrics.database import DatabaseGauges, KindFigures
from gateway.metrics.upstream import MeteredTransport
from gateway.settings import Settings
from gateway.webhooks.sender import post_webhook
from providers.simplefin.client import AccessUrl, SimpleFinClient
from providers.simplefin.settings import SimpleFinSettings

LOOPBACK = SimpleFinSettings(allowed_hosts=("127.0.0.1",), require_https=False, timeout_s=2.0)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_upstream_calls_are_counted_by_endpoint_template_never_by_url() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "timeout" in request.url.path:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(503, json={})

    labels = {"provider": "simplefin", "endpoint": "/accounts"}
    before = {s: sample("linkgate_upstream_requests_total", **labels, status=s) for s in ("503", "timeout")}
    transport = MeteredTransport(httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=transport) as http:
        client = SimpleFinClient(http, LOOPBACK)
        for base in ("http://127.0.0.1/simplefin", "http://127.0.0.1/timeout"):
            with pytest.raises(Exception, match="SimpleFIN server"):
                await client.accounts(AccessUrl(base, "user-secret", "pass-secret"), start=None)

    for status in ("503", "timeout"):
        assert sample("linkgate_upstream_requests_total", **labels, status=status) == before[status] + 1
    recorded = {
        value
        for family in REGISTRY.collect()
        if family.name.startswith("linkgate_upstream")
        for s in family.samples
        for value in s.labels.values()
    }
    assert not any("secret" in value or "127.0.0.1" in value for value in recorded)


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [(204, "delivered"), (500, "rejected"), ("timeout", "timeout"), ("refused", "refused")],
)
async def test_webhook_attempts_are_counted_by_outcome(reply: int | str, outcome: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if reply == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        assert isinstance(reply, int)
        return httpx.Response(reply)

    url = "ftp://example.com/hook" if reply == "refused" else "https://example.com/hook"
    before = sample("linkgate_webhook_attempts_total", outcome=outcome)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        await post_webhook(http, url, b"{}", {})
    assert sample("linkgate_webhook_attempts_total", outcome=outcome) == before + 1
    assert sample("linkgate_webhook_attempt_duration_seconds_count", outcome=outcome) >= 1


async def test_database_gauges_are_read_once_per_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []

    async def figures(_database: Database) -> dict[str, KindFigures]:
        reads.append(1)
        return {"webhook_delivery": KindFigures({"pending": 3}, due=2, oldest_due_age_s=40.0)}

    monkeypatch.setattr(database_gauges, "_figures", figures)
    gauges = DatabaseGauges(ttl_s=60, timeout_s=1)
    database = Database.from_settings(Settings(database_url="sqlite:///:memory:"))
    try:
        for _ in range(3):
            await gauges.refresh(database)
    finally:
        await database.dispose()
    assert reads == [1]
    collected = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in gauges.collect() for s in f.samples
    }
    assert collected[("linkgate_metrics_database_up", ())] == 1
    assert collected[("linkgate_durable_jobs", (("kind", "webhook_delivery"), ("state", "pending")))] == 3
    assert collected[("linkgate_durable_jobs", (("kind", "webhook_delivery"), ("state", "running")))] == 0
    assert collected[("linkgate_durable_jobs_due", (("kind", "webhook_delivery"),))] == 2
    assert collected[("linkgate_durable_jobs_oldest_due_age_seconds", (("kind", "webhook_delivery"),))] == 40


async def test_database_gauges_are_left_out_when_the_read_fails(tmp_path: Path) -> None:
    gauges = DatabaseGauges(ttl_s=0, timeout_s=1)
    database = Database.from_settings(Settings(database_url=f"sqlite:///{tmp_path}/empty.db"))  # no tables
    try:
        await gauges.refresh(database)
    finally:
        await database.dispose()
    names = {s.name: s.value for f in gauges.collect() for s in f.samples}
    assert names == {"linkgate_metrics_database_up": 0}
