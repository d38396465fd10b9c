"""Run one traced request and the task it enqueues, and print the spans as JSON lines.

Started as its own process by tests/integration/test_tracing.py: tracing instruments SQLAlchemy, httpx
and Celery for the whole process, which the rest of the suite must not inherit. The gateway runs
in-process (ASGI) with a real Celery worker in a thread on the test Redis, both exporting to one
in-memory exporter; the request links a sandbox bank through MoneyKit's token exchange, which
enqueues the link's first refresh.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import uuid
from typing import Any

import httpx
from celery.worker import WorkController
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.observability import tracing

EXPORTER = InMemorySpanExporter()
tracing.start("linkgate-probe", processor=SimpleSpanProcessor(EXPORTER))

from gateway.app import create_app  # noqa: E402  (after tracing starts: engines made later are traced)
from gateway.settings import get_settings  # noqa: E402
from workers.celery_app import celery_app  # noqa: E402


def start_worker() -> WorkController:
    worker = WorkController(
        app=celery_app, pool="threads", concurrency=2, hostname=f"probe-{uuid.uuid4().hex[:6]}@linkgate",
        without_heartbeat=True, without_mingle=True, without_gossip=True, loglevel="WARNING",
    )  # fmt: skip
    threading.Thread(target=worker.start, daemon=True).start()
    return worker


async def linked(http: httpx.AsyncClient, auth: dict[str, str]) -> httpx.Response:
    sandbox = await http.post(
        "/v1/moneykit/sandbox/exchangeable-token", headers=auth,
        json={"institution_id": "credentials_bank", "customer_user": {"id": uuid.uuid4().hex},
              "username": "user_1", "password": "pass_good"},
    )  # fmt: skip
    exchange = {"exchangeable_token": sandbox.json()["exchangeable_token"]}
    return await http.post("/v1/moneykit/link-session/exchange-token", headers=auth, json=exchange)


def trace_of(request_id: str) -> list[ReadableSpan]:
    spans = EXPORTER.get_finished_spans()
    server = [s for s in spans if (s.attributes or {}).get(tracing.REQUEST_ID_ATTRIBUTE) == request_id]
    if not server or server[0].context is None:
        return []
    trace_id = server[0].context.trace_id
    return [s for s in spans if s.context is not None and s.context.trace_id == trace_id]


def described(span: ReadableSpan) -> dict[str, Any]:
    attributes = dict(span.attributes or {})
    return {
        "name": span.name, "kind": span.kind.name, "span_id": span.context.span_id if span.context else None,
        "parent": span.parent.span_id if span.parent else None,
        "attributes": {k: v for k, v in attributes.items() if isinstance(v, str | int | bool)},
    }  # fmt: skip


async def main(credentials: dict[str, str]) -> None:
    worker = start_worker()
    app = create_app(get_settings())
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                form = {"grant_type": "client_credentials", **credentials}
                token = (await http.post("/v1/moneykit/auth/token", data=form)).json()["access_token"]
                auth = {"authorization": f"Bearer {token}"}
                answer = await linked(http, auth)
                assert answer.status_code == 201, answer.text
                request_id = answer.headers["x-request-id"]
                deadline = time.monotonic() + 30
                while not any(_ran(span) for span in trace_of(request_id)):
                    assert time.monotonic() < deadline, "the enqueued task did not run in the request's trace"
                    await asyncio.sleep(0.1)
                link_id = answer.json()["link_id"]
                page = await http.get(f"/v1/moneykit/links/{link_id}/transactions", headers=auth)
                assert page.status_code == 200, page.text
                # A token in a query string (refused here: a generic token is not a user's).
                entry = "/v1/gateway/authenticate"
                refused = await http.get(entry, params={"token": token, "redirectUri": "http://127.0.0.1/"})
                assert refused.status_code == 403, refused.text
    finally:
        worker.stop(in_sighandler=False)
    page_id = page.headers["x-request-id"]
    print(json.dumps({
        "exchange": {"request_id": request_id, "spans": [described(s) for s in trace_of(request_id)]},
        "page": {"request_id": page_id, "spans": [described(s) for s in trace_of(page_id)]},
        "every_attribute": [dict(s.attributes or {}) for s in EXPORTER.get_finished_spans()],
        "query_token": token,
    }, default=str))  # fmt: skip


def _ran(span: ReadableSpan) -> bool:
    return span.kind.name == "CONSUMER" and span.name.startswith("run/")


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
