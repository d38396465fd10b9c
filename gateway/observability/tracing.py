"""OpenTelemetry tracing, off unless the standard `OTEL_*` variables ask for it.

On when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`; `none` is off) or an OTLP endpoint
is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `OTEL_SDK_DISABLED=true`
wins. The SDK reads the rest itself: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the sampler
(`OTEL_TRACES_SAMPLER`), the batch processor's timings (`OTEL_BSP_*`), the OTLP headers and timeout.

Traced: each HTTP request (FastAPI; probes and `/metrics` left out) with the request id as the
`linkgate.request_id` attribute, its SQL (SQLAlchemy), its outbound calls (httpx: webhooks and upstream
providers), and the Celery tasks it enqueued, whose spans join the request's trace (the context rides
in the task's headers). When tracing is off nothing is instrumented: the request path pays nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.trace import Span
from starlette.types import Scope

from gateway.access_log import request_target
from providers.base import UPSTREAM_CALL_EXTENSION

if TYPE_CHECKING:  # the SDK and the instrumentations load only when tracing starts
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

REQUEST_ID_ATTRIBUTE = "linkgate.request_id"
UNTRACED_URLS = "/healthz,/readyz,/metrics"
EXPORTERS = ("otlp", "console")

_provider: TracerProvider | None = None


def requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the `OTEL_*` variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def active() -> bool:
    return _provider is not None


def start(service: str, *, processor: SpanProcessor | None = None) -> bool:
    """Set this process's tracer provider and instrument SQLAlchemy, httpx and Celery, once (engines and
    clients made afterwards are traced); `processor` replaces the exporters the variables name (tests
    give an in-memory one). Returns whether tracing is on."""
    global _provider
    if _provider is not None:
        return True
    if processor is None and not requested():
        return False
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or service})
    provider = TracerProvider(resource=resource)
    for each in [processor] if processor is not None else _exporting_processors():
        provider.add_span_processor(each)
    trace.set_tracer_provider(provider)
    # It declares SQLAlchemy < 2.1 and would decline 2.1; it only listens to engine events, which 2.1 keeps
    # (tests/integration/test_tracing.py checks the SQL spans).
    SQLAlchemyInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider, async_request_hook=hide_outbound_url)
    CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    _provider = provider
    logger.info("tracing on (%s)", service)
    return True


def instrument_app(app: FastAPI) -> None:
    if _provider is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=_provider, excluded_urls=UNTRACED_URLS, server_request_hook=redact_target
        )


def redact_target(span: Span, scope: Scope) -> None:
    """A request's URL on its span as the access log writes it: credential-like query values and
    anything shaped like a JWT replaced (`/v1/gateway/authenticate?token=…` takes a token there)."""
    if not span.is_recording():
        return
    target = request_target(scope)
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    span.set_attribute("http.url", f"{scope.get('scheme', 'http')}://{host}{target}")
    _, separator, query = target.partition("?")
    if separator:
        span.set_attribute("url.query", query)


async def hide_outbound_url(span: Span, request: Any) -> None:
    """An outbound call's URL on its span: the scheme and host, then a provider call's endpoint template
    or nothing. Paths and queries can hold secrets: a SimpleFIN claim URL's token, a developer's webhook
    URI (`/services/T…/B…/secret`)."""
    if not span.is_recording():
        return
    url = request.url if isinstance(request.url, httpx.URL) else httpx.URL(str(request.url))
    named = request.extensions.get(UPSTREAM_CALL_EXTENSION) if request.extensions else None
    endpoint = named[1] if isinstance(named, tuple) and len(named) == 2 else "/…"
    shown = f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{endpoint}"
    span.set_attribute("http.url", shown)
    span.set_attribute("url.full", shown)


def annotate_request(request_id: str) -> None:
    """Name the request id on the request's span (a no-op while tracing is off)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def driver_sql(statement: str) -> AbstractContextManager[object]:
    """A span for a statement run on the database driver directly, which SQLAlchemy's instrumentation
    does not see (`gateway.db.DialectRead`); nothing while tracing is off."""
    if _provider is None:
        return nullcontext()
    return _provider.get_tracer(__name__).start_as_current_span(
        statement.split(None, 1)[0].upper(), kind=trace.SpanKind.CLIENT,
        attributes={"db.system": "postgresql", "db.statement": statement},
    )  # fmt: skip


def flush() -> None:
    """Send what is still buffered (when an app or a worker stops; the provider itself shuts down when the
    process exits)."""
    if _provider is not None:
        _provider.force_flush()


def _exporting_processors() -> list[SpanProcessor]:
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    names = [
        n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").lower().split(",") if n.strip()
    ]
    processors: list[SpanProcessor] = []
    for name in names:
        exporter = _exporter(name)
        if exporter is not None:
            processors.append(BatchSpanProcessor(exporter))
    return processors


def _exporter(name: str) -> SpanExporter | None:
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*
    if name == "console":
        return ConsoleSpanExporter()
    logger.warning(
        "OTEL_TRACES_EXPORTER names %r, which Linkgate does not ship: use one of %s", name, EXPORTERS
    )
    return None
