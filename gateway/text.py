"""Text the database can store: Postgres refuses NUL characters, and UTF-8 has no unpaired surrogates."""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def first_unstorable_path(data: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where in a decoded JSON or form value the first unstorable string is, or None."""
    if isinstance(data, str):
        return None if is_storable(data) else path
    if isinstance(data, dict):
        items: list[tuple[str, Any]] = [(str(key), value) for key, value in data.items()]
        items += [(str(key), str(key)) for key in data]  # keys are text too
    elif isinstance(data, list | tuple):
        items = [(str(index), value) for index, value in enumerate(data)]
    else:
        return None
    for name, value in items:
        found = first_unstorable_path(value, (*path, name))
        if found is not None:
            return found
    return None
