"""Plaid sync cursors: what they carry round trip, cursors given out before they named a pull's start
still read, and anything else is INVALID_FIELD."""

from __future__ import annotations

import base64

import pytest

from gateway.collections.plaid.errors import InvalidField
from gateway.collections.plaid.sync import Cursor, decode_cursor, encode_cursor


def raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_cursors_round_trip() -> None:
    assert decode_cursor(encode_cursor(7, None)) == Cursor(7, None)
    assert decode_cursor(encode_cursor(9, (4, 12))) == Cursor(9, (4, 12))
    assert decode_cursor(None) == decode_cursor("") == Cursor(0, None)


def test_a_mid_pull_cursor_given_out_before_it_named_the_start_starts_where_it_is() -> None:
    assert decode_cursor(raw("plaid1:9:12")) == Cursor(9, (9, 12))


@pytest.mark.parametrize(
    "text",
    ["plaid1:", "plaid1:x", "plaid1:-1", "plaid1:1:2:0:3", "plaid2:5", "plaid1:9:8", "plaid1:3:12:4",
     "plaid1:13:12:4"],
)  # fmt: skip
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InvalidField):
        decode_cursor(raw(text))
    with pytest.raises(InvalidField):
        decode_cursor(raw(text) + "$")
