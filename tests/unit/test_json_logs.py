"""JSON log lines: the standard keys, a call's fields beside them (never over them), a traceback."""

from __future__ import annotations

import json
import logging

from gateway.observability.logs import JsonFormatter, fields


def formatted(record: logging.LogRecord) -> dict[str, object]:
    line = JsonFormatter().format(record)
    assert "\n" not in line  # one line, even with a traceback
    parsed: dict[str, object] = json.loads(line)
    return parsed


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("linkgate.test", logging.INFO, __file__, 1, message, args, None)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def test_fields_sit_beside_the_standard_keys_and_cannot_replace_them() -> None:
    line = formatted(record("job %s done", "x", **fields(job_id="x", attempt=2, message="not this")))
    assert line["message"] == "job x done"
    assert (line["level"], line["logger"], line["job_id"], line["attempt"]) == (
        "INFO",
        "linkgate.test",
        "x",
        2,
    )
    assert str(line["time"]).endswith("+00:00")


def test_an_exception_is_one_key() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        import sys

        failed = record("it failed")
        failed.exc_info = sys.exc_info()
    line = formatted(failed)
    assert "ValueError: broken" in str(line["exception"])
