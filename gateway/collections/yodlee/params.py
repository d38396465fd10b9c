"""Query parameters as Yodlee checks them: Y800 for a malformed value, Y804 for one out of range."""

from __future__ import annotations

import datetime as dt

from gateway.collections.yodlee.errors import YodleeError, invalid_value
from gateway.collections.yodlee.ids import is_ascii_number

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def bounded(value: str | None, name: str, low: int, high: int, *, default: int) -> int:
    if value is None:
        return default
    text = value.strip()
    if not is_ascii_number(text.removeprefix("-")) or len(text) > 12:
        raise invalid_value(name)
    number = int(text)
    if not low <= number <= high:
        raise YodleeError("Y804", f"Permitted values of {name} between {low} - {high}")
    return number


def day(value: str | None, name: str) -> dt.date | None:
    """A `YYYY-MM-DD` date."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip()) if len(value.strip()) == 10 else _invalid(name)
    except ValueError as exc:
        raise invalid_value(name) from exc


def moment(value: str | None, name: str) -> dt.datetime:
    """A required `YYYY-MM-DDThh:mm:ssZ` timestamp (data extract windows)."""
    if value is None or not value.strip():
        raise YodleeError("Y803", f"{name} required")
    try:
        return dt.datetime.strptime(value.strip(), TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise invalid_value(name) from exc


def _invalid(name: str) -> dt.date:
    raise invalid_value(name)
