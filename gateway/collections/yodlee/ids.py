"""Yodlee's int64 ids as they arrive in paths and queries (the numbers themselves live in
`gateway/integer_ids`)."""

from __future__ import annotations

from gateway.collections.yodlee.errors import YodleeError, invalid_value

INT64_MAX = 2**63 - 1
MAX_IDS = 100


def is_ascii_number(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes '٣', '３' and '²' (the last one `int` refuses)."""
    return text.isascii() and text.isdigit()


def parse_id(value: str, name: str) -> int:
    """One int64 id from a path or query; anything else is Yodlee's Y800 on that parameter."""
    text = value.strip()
    if not is_ascii_number(text) or len(text) > 19 or not 0 < int(text) <= INT64_MAX:
        raise invalid_value(name)
    return int(text)


def parse_ids(value: str | None, name: str) -> list[int] | None:
    """A comma-separated list of at most 100 ids (Y824 beyond that), or None when absent."""
    if value is None:
        return None
    parts = [part for part in value.split(",")]
    if len(parts) > MAX_IDS:
        raise YodleeError("Y824", f"The maximum number of {name} permitted is {MAX_IDS}")
    return list(dict.fromkeys(parse_id(part, name) for part in parts))
