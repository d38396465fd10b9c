"""Which query values the access log redacts (gateway/access_log.py)."""

from __future__ import annotations

import pytest

from gateway.access_log import REDACTED, redact_query


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("token=abc&redirectUri=https%3A%2F%2Fapp", f"token={REDACTED}&redirectUri=https%3A%2F%2Fapp"),
        ("Client-Secret=s&clientId=c&apiKey=k", f"Client-Secret={REDACTED}&clientId=c&apiKey={REDACTED}"),
        ("code=x&state=y&page=2", f"code={REDACTED}&state=y&page=2"),
        ("access%5Ftoken=x&flag", f"access%5Ftoken={REDACTED}&flag"),
        ("q=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", f"q={REDACTED}"),
        ("", ""),
    ],
)
def test_credential_like_query_values_are_redacted(query: str, logged: str) -> None:
    assert redact_query(query) == logged
