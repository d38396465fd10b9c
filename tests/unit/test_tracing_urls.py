"""What spans say of a URL: a provider call by its endpoint template, any other outbound call by its host
alone, an incoming request's query as the access log redacts it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from opentelemetry.instrumentation.httpx import RequestInfo
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span

from gateway.observability.tracing import hide_outbound_url, redact_target
from providers.base import upstream_call


def attributes_after(hook_call: Callable[[Span], object]) -> dict[str, object]:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("call") as span:
        hook_call(span)
        return dict(span.attributes or {})  # type: ignore[attr-defined]


def outbound(url: str, extensions: dict[str, object]) -> dict[str, object]:
    request = RequestInfo(b"POST", httpx.URL(url), httpx.Headers(), None, extensions)
    return attributes_after(lambda span: asyncio.run(hide_outbound_url(span, request)))


def test_a_provider_call_shows_its_endpoint_and_nothing_of_its_path() -> None:
    shown = outbound(
        "https://beta-bridge.simplefin.org/simplefin/claim/c2VjcmV0LWNsYWlt",
        upstream_call("simplefin", "/claim"),
    )
    assert shown["url.full"] == shown["http.url"] == "https://beta-bridge.simplefin.org/claim"


def test_another_call_shows_its_host_only() -> None:
    shown = outbound("https://hooks.example.com:8443/services/T0/B0/s3cr3t?key=abc", {})
    assert shown["url.full"] == "https://hooks.example.com:8443/…"


def test_an_incoming_query_is_redacted() -> None:
    path = "/v1/gateway/authenticate"
    scope = {"type": "http", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"token=eyJhbGciOi.eyJzdWIi.c2ln&redirectUri=x",
             "headers": [(b"host", b"gateway.example")]}  # fmt: skip
    shown = attributes_after(lambda span: redact_target(span, scope))
    assert (
        shown["http.url"] == "http://gateway.example/v1/gateway/authenticate?token=[redacted]&redirectUri=x"
    )
    assert shown["url.query"] == "token=[redacted]&redirectUri=x"
