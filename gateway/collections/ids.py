"""Parsing ids from paths: a malformed id is answered exactly like a missing one."""

from __future__ import annotations

import uuid

from gateway.errors import NotFound


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"No such {what}.") from exc
