"""Tracing end to end: one request's trace holds its HTTP span (with the request id), its SQL, and the
Celery task it enqueued, run by a real worker, with that task's own SQL; a page's rows read on the
driver have their span. Run in its own process
(tests/support/tracing_probe.py), exported to an in-memory exporter."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.support.processes import PROJECT_ROOT

pytestmark = pytest.mark.integration


def descendants(spans: list[dict[str, Any]], root: dict[str, Any]) -> list[dict[str, Any]]:
    children = [span for span in spans if span["parent"] == root["span_id"]]
    return children + [found for child in children for found in descendants(spans, child)]


def is_sql(span: dict[str, Any]) -> bool:
    return bool(span["kind"] == "CLIENT" and span["attributes"].get("db.system") == "postgresql")


def test_a_request_its_sql_and_the_task_it_enqueued_share_one_trace(
    sandbox_app: Any, process_env: dict[str, str], redis_client: Any
) -> None:
    redis_client.flushdb()  # no task of an earlier test for the probe's worker
    credentials = {"client_id": sandbox_app.client_id, "client_secret": sandbox_app.client_secret}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.tracing_probe", json.dumps(credentials)],
        env=process_env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    traces = json.loads(done.stdout.splitlines()[-1])
    request_id, spans = traces["exchange"]["request_id"], traces["exchange"]["spans"]

    (server,) = [span for span in spans if span["kind"] == "SERVER"]
    assert server["parent"] is None
    assert server["name"] == "POST /v1/moneykit/link-session/exchange-token"
    assert server["attributes"]["linkgate.request_id"] == request_id
    under_request = descendants(spans, server)
    assert any(is_sql(span) for span in under_request)

    (producer,) = [span for span in under_request if span["kind"] == "PRODUCER"]
    task = producer["name"].removeprefix("apply_async/")
    (consumer,) = [span for span in spans if span["kind"] == "CONSUMER"]
    assert consumer["name"] == f"run/{task}"
    assert consumer["parent"] == producer["span_id"]
    assert any(is_sql(span) for span in descendants(spans, consumer))  # the task's own work

    # A page reads its rows on the driver, past SQLAlchemy: that statement has its span too.
    page = traces["page"]["spans"]
    (page_server,) = [span for span in page if span["kind"] == "SERVER"]
    assert page_server["attributes"]["linkgate.request_id"] == traces["page"]["request_id"]
    statements = [
        span["attributes"].get("db.statement", "") for span in descendants(page, page_server) if is_sql(span)
    ]
    driver_reads = [statement for statement in statements if "FROM transactions" in statement]
    assert driver_reads

    every = json.dumps(traces["every_attribute"])
    assert "/v1/gateway/authenticate" in every  # the request whose query held a token was traced...
    assert traces["query_token"] not in every  # ...with the token replaced
    assert sandbox_app.client_secret not in done.stdout
