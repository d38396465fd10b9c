"""Query parameters shared by MoneyKit routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query

from gateway.errors import InvalidRequest

AccountIds = Annotated[list[str] | None, Query(max_length=100)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=1000)]
DEFAULT_WINDOW = dt.timedelta(days=90)


def date_window(start_date: dt.date | None, end_date: dt.date | None) -> tuple[dt.date, dt.date]:
    """MoneyKit's defaults: `end_date` today, `start_date` 90 days before it."""
    end = end_date or dt.date.today()
    start = start_date or end - DEFAULT_WINDOW
    if start > end:
        raise InvalidRequest(
            "start_date must not be after end_date.",
            details=[{"location": "query", "field": "start_date", "message": "must not be after end_date"}],
        )
    return start, end


def invalid_cursor() -> InvalidRequest:
    return InvalidRequest(
        "cursor is not one this API returned.",
        details=[{"location": "query", "field": "cursor", "message": "is not one this API returned"}],
    )
