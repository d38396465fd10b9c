"""MX JSON responses and paging parameters."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Query
from fastapi.responses import Response

from formats.mx.render import MEDIA_TYPE, pagination

PageParam = Annotated[int, Query(ge=1, le=1_000_000)]
RecordsPerPage = Annotated[int | None, Query(ge=1, le=1_000_000)]
DEFAULT_PER_PAGE = 25
MIN_PER_PAGE = 10
MAX_PER_PAGE = 1000
MAX_INSTITUTIONS_PER_PAGE = 100


def mx_response(body: dict[str, Any] | None, status_code: int = 200) -> Response:
    content = orjson.dumps(body) if body is not None else b""
    return Response(content, status_code=status_code, media_type=MEDIA_TYPE if body is not None else None)


def per_page(records_per_page: int | None, cap: int = MAX_PER_PAGE) -> int:
    """MX's rule: default 25; over the cap falls back to 25 (not clamped); below 10 reads as 10."""
    if records_per_page is None or records_per_page > cap:
        return DEFAULT_PER_PAGE
    return max(records_per_page, MIN_PER_PAGE)


def listed(key: str, items: list[dict[str, Any]], page: int, size: int, total: int) -> Response:
    return mx_response({key: items, "pagination": pagination(page, size, total)})


def page_of(key: str, items: list[dict[str, Any]], page: int, size: int) -> Response:
    """A page cut from a short, fully loaded list (a user's accounts, holdings, numbers)."""
    start = (page - 1) * size
    return listed(key, items[start : start + size], page, size, len(items))
