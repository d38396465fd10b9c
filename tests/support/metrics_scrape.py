"""What `/metrics` must hold after a contract run (tests/support/moneykit.py scrapes it at the end).

Whatever ran: requests are counted under each collection the run called, with route templates for
labels (never an id), and the tokens the run was issued. After the whole contract suite (every
collection called), every series a contract run exercises: authentication failures (the bad-input
tests), durable job runs and sandbox refreshes (the worker), webhook attempts, the database gauges and
the pools of both the API and the worker, which share the metrics directory."""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx
from prometheus_client.parser import text_string_to_metric_families

COLLECTION_PREFIXES = {
    "/v1/plaid/": "plaid",
    "/v1/mx/": "mx",
    "/v2/yodlee/": "yodlee",
    "/v1/moneykit/": "moneykit",
}
# An id-like path segment: a UUID, 16+ hex digits, or 4+ digits.
_ID_SEGMENT = re.compile(r"[0-9a-fA-F-]{16,}|\d{4,}")
AFTER_THE_WHOLE_SUITE = {
    "linkgate_auth_failures_total": "reason",
    "linkgate_durable_job_runs_total": "kind",
    "linkgate_refreshes_total": "provider",
    "linkgate_webhook_attempts_total": "outcome",
    "linkgate_durable_jobs_due": "kind",
    "linkgate_db_pool_connections": "role",
}

Labels = list[dict[str, str]]


def scrape(url: str) -> dict[str, Labels]:
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    found: dict[str, Labels] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample.labels)
    return found


def assert_metrics_after_contract_run(url: str, paths: Iterable[str]) -> None:
    found = scrape(url)
    called = {
        name for prefix, name in COLLECTION_PREFIXES.items() for path in paths if path.startswith(prefix)
    }
    requests = found.get("linkgate_http_requests_total", [])
    assert called <= {labels["collection"] for labels in requests}, (called, requests[:5])
    for labels in requests:
        assert set(labels) == {"collection", "route", "method", "status"}, labels
        route = labels["route"]
        assert route == "unmatched" or route.startswith("/"), labels
        assert not any(_ID_SEGMENT.fullmatch(segment) for segment in route.split("/")), labels
    assert {labels["kind"] for labels in found.get("linkgate_tokens_issued_total", [])} >= {"generic"}
    if called == set(COLLECTION_PREFIXES.values()):
        for series, label in AFTER_THE_WHOLE_SUITE.items():
            assert any(label in labels for labels in found.get(series, [])), f"{series} is not in the scrape"
        roles = {labels["role"] for labels in found["linkgate_db_pool_connections"]}
        assert roles == {"api", "worker"}, roles
