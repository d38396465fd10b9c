"""Request counts and latency by collection, route template, method and status.

This runs on every request, so it does the least it can: a lookup of the label children already
resolved for (route, method, status). Labels are resolved, and the
children created, once per combination; the combinations are bounded (gateway/metrics/labels.py).
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from gateway.metrics.definitions import HTTP_REQUEST_DURATION, HTTP_REQUESTS
from gateway.metrics.labels import UNMATCHED, collection_of, method_label, route_template

# (counter child, histogram child, the route) of one label combination. Holding the route keeps its id
# from being reused by another object while the entry exists.
Children = tuple[Any, Any, Any]


class HttpMetrics:
    """Counts each request and observes its latency (a `RequestObserver`,
    gateway/observability/requests.py, which sits so that answers made by middleware, 413, 429 and 500,
    are counted with their status)."""

    def __init__(self) -> None:
        # Keyed by the route object's id (routes are unhashable, and live as long as the app), method and
        # status; requests no route answered are keyed by their collection instead.
        self._children: dict[tuple[int | str, str, int], Children] = {}

    def __call__(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        method = method_label(scope["method"])
        key = (id(route) if route is not None else collection_of(scope["path"]), method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = _resolve(route, scope["path"], method, status)
        children[0].inc()
        children[1].observe(seconds)


def _resolve(route: Any, path: str, method: str, status: int) -> Children:
    template = route_template(route, path) if route is not None else UNMATCHED
    collection = collection_of(template if template != UNMATCHED else path)
    return (
        HTTP_REQUESTS.labels(collection, template, method, str(status)),
        HTTP_REQUEST_DURATION.labels(collection, template, method),
        route,
    )
