"""Parsing ids from paths: a malformed id is answered exactly like a missing one."""

from __future__ import annotations

import re
import uuid

from gateway.errors import NotFound

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"No such {what}.") from exc


def parse_key(value: str, what: str) -> str:
    """A client_id or organization id: anything outside their alphabet cannot exist."""
    if not _KEY.match(value):
        raise NotFound(f"No such {what}.")
    return value
