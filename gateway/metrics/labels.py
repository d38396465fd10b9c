"""Bounded label values: a label never carries a raw path, an id, or anything a caller chose freely.

- collection: from a fixed table of path prefixes (`other` for anything else);
- route: the template of the route that answered (`/v1/mx/users/{user_guid}/members`), or `unmatched`
  when no route did (404s, and requests refused before routing: 413 by size, 429 by address);
- method: the standard methods, else `other`;
- names the code chooses (providers, upstream endpoints): `BoundedLabel`, which admits well-formed
  values up to a fixed number of distinct ones and answers `other` past it.
"""

from __future__ import annotations

import re
from typing import Any

OTHER = "other"
UNMATCHED = "unmatched"

COLLECTIONS: tuple[tuple[str, str], ...] = (
    ("/v1/plaid", "plaid"),
    ("/v1/mx", "mx"),
    ("/v2/yodlee", "yodlee"),
    ("/v1/moneykit", "moneykit"),
    ("/v1/dashboard", "dashboard"),
    ("/v1/developer", "developer"),
    ("/v1/webhooks", "webhooks"),
    ("/v1/providers", "providers"),
    ("/v1/gateway", "gateway"),
    ("/connect", "connect"),
    ("/oauth", "oauth"),
    ("/.well-known", "platform"),
    ("/openapi.json", "platform"),
    ("/docs", "platform"),
    ("/redoc", "platform"),
    ("/healthz", "health"),
    ("/readyz", "health"),
    ("/metrics", "metrics"),
)
_PREFIXES = {prefix: name for prefix, name in COLLECTIONS}
# Versioned prefixes take two segments (`/v1/plaid`); the others one (`/connect`).
_VERSIONS = frozenset(prefix[: prefix.index("/", 1)] for prefix in _PREFIXES if prefix.count("/") == 2)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def collection_of(path: str) -> str:
    """The collection a path belongs to, by its leading segments (two dictionary lookups at most)."""
    end = path.find("/", 1)
    first = path if end == -1 else path[:end]
    if first not in _VERSIONS:
        return _PREFIXES.get(first, OTHER)
    if end == -1:
        return OTHER
    second_end = path.find("/", end + 1)
    return _PREFIXES.get(path if second_end == -1 else path[:second_end], OTHER)


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER


def route_template(route: Any, path: str) -> str:
    """The full template of `route` (what the router put in `scope["route"]`) for a request to `path`.

    A route included under a collection's prefix knows only its own part (`/users/{user_guid}`); the
    prefix is the part of `path` before what the route's pattern matches, and is kept only when it is
    one of the known collection prefixes (static text, never an id)."""
    relative = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if not isinstance(relative, str) or not isinstance(pattern, re.Pattern):
        return UNMATCHED
    if pattern.match(path):
        return relative
    start = path.find("/", 1)
    while start != -1:
        if path[:start] in _PREFIXES and pattern.match(path[start:]):
            return path[:start] + relative
        start = path.find("/", start + 1)
    return UNMATCHED


_NAME = re.compile(r"[A-Za-z0-9_./{}-]{1,64}")


class BoundedLabel:
    """Admits up to `limit` distinct well-formed values; anything else is `other`.

    For values the code chooses (provider names, endpoint templates): the cap is a guard against a
    mistake turning an id into a label, not a way to label free input."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        if len(self._seen) >= self.limit or not _NAME.fullmatch(value) or _looks_like_id(value):
            return OTHER
        self._seen.add(value)
        return value


_ID_SEGMENT = re.compile(r"(?:[0-9a-fA-F-]{16,}|\d{4,})")


def _looks_like_id(value: str) -> bool:
    return any(_ID_SEGMENT.fullmatch(segment) for segment in value.split("/") if segment)


PROVIDERS = BoundedLabel(32)
UPSTREAM_ENDPOINTS = BoundedLabel(128)
