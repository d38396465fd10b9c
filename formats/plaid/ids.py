"""Plaid ids for unified rows: the row's UUID as 32 hex digits, reversible where a caller sends it back.

Plaid calls its ids opaque (their length and content may change), so a compact hex form serves: it
costs a fraction of a microsecond per id, where a base62 rendering cost microseconds, thousands of times
per page. A transaction that was pending has a second, derived id for its pending self, so Plaid's sync
can remove the pending transaction and add the posted one (with `pending_transaction_id`) as Plaid does.
"""

from __future__ import annotations

import uuid

WIDTH = 32
_HEX = frozenset("0123456789abcdef")
_PENDING_NAMESPACE = uuid.UUID("0b6a4c7e-52a1-4c36-9a43-8f1b3c1f6d20")


def encode(value: uuid.UUID) -> str:
    return value.hex


def decode(text: str) -> uuid.UUID | None:
    """The UUID behind a Plaid id, or None if `text` is not one."""
    if len(text) != WIDTH or not _HEX.issuperset(text):
        return None
    return uuid.UUID(hex=text)


def pending_id(transaction_id: uuid.UUID) -> str:
    """The id a transaction had while it was pending."""
    return uuid.uuid5(_PENDING_NAMESPACE, str(transaction_id)).hex
