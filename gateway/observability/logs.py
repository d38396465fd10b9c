"""Log lines for machines: one JSON object per line (`LINKGATE_LOG_FORMAT=json`, production's default).

Every line has `time` (UTC, ISO 8601), `level`, `logger` and `message`; a line that carries fields
(`extra=fields(...)`: the access log's request, a durable job's run) has them as top-level keys, and an
exception its traceback under `exception`. Nothing here redacts: what is logged was made safe where it
was written (gateway/access_log.py), and tests/contract scans every line for every credential issued.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson

FIELDS = "linkgate_fields"
_RESERVED = frozenset({"time", "level", "logger", "message", "exception"})


def fields(**values: Any) -> dict[str, dict[str, Any]]:
    """`extra=` for a logging call: these become keys of the JSON line (and stay out of text lines)."""
    return {FIELDS: values}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, FIELDS, None)
        if isinstance(extra, dict):
            line |= {key: value for key, value in extra.items() if key not in _RESERVED}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()
