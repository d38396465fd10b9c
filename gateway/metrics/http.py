"""Request counts and latency by collection, route template, method and status.

This runs on every request, so it does the least it can: one timer, one wrapped `send`, and a lookup
of the label children already resolved for (route, method, status). Labels are resolved, and the
children created, once per combination; the combinations are bounded (gateway/metrics/labels.py).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics.definitions import HTTP_REQUEST_DURATION, HTTP_REQUESTS
from gateway.metrics.labels import UNMATCHED, collection_of, method_label, route_template

# (counter child, histogram child, the route) of one label combination. Holding the route keeps its id
# from being reused by another object while the entry exists.
Children = tuple[Any, Any, Any]


class HttpMetricsMiddleware:
    """Sits beside the access log: inside the request id, outside the error middleware, so answers
    made by middleware (413, 429, 500) are counted with their status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Keyed by the route object's id (routes are unhashable, and live as long as the app), method and
        # status; requests no route answered are keyed by their collection instead.
        self._children: dict[tuple[int | str, str, int], Children] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before it answers, the server answers 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            method = method_label(scope["method"])
            key = (id(route) if route is not None else collection_of(scope["path"]), method, status)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = _resolve(route, scope["path"], method, status)
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


def _resolve(route: Any, path: str, method: str, status: int) -> Children:
    template = route_template(route, path) if route is not None else UNMATCHED
    collection = collection_of(template if template != UNMATCHED else path)
    return (
        HTTP_REQUESTS.labels(collection, template, method, str(status)),
        HTTP_REQUEST_DURATION.labels(collection, template, method),
        route,
    )
