"""Upstream calls by provider, endpoint template and status, timed to the answer's headers.

Provider clients name each call in the request's extensions (`upstream_call(provider, endpoint)`),
with the endpoint as a template (`/accounts/get`, never a URL with ids in it); the process's upstream
HTTP client counts through `MeteredTransport`. Calls no client named are counted as `other`.
"""

from __future__ import annotations

import time

import httpx

from gateway.metrics.definitions import UPSTREAM_REQUEST_DURATION, UPSTREAM_REQUESTS
from gateway.metrics.labels import OTHER, PROVIDERS, UPSTREAM_ENDPOINTS
from providers.base import UPSTREAM_CALL_EXTENSION


class MeteredTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        named = request.extensions.get(UPSTREAM_CALL_EXTENSION)
        provider, endpoint = named if isinstance(named, tuple) and len(named) == 2 else (OTHER, OTHER)
        provider, endpoint = PROVIDERS(str(provider)), UPSTREAM_ENDPOINTS(str(endpoint))
        started = time.perf_counter()
        status = "error"
        try:
            response = await self.inner.handle_async_request(request)
            status = str(response.status_code)
            return response
        except httpx.TimeoutException:
            status = "timeout"
            raise
        finally:
            UPSTREAM_REQUESTS.labels(provider, endpoint, status).inc()
            UPSTREAM_REQUEST_DURATION.labels(provider, endpoint).observe(time.perf_counter() - started)

    async def aclose(self) -> None:
        await self.inner.aclose()
