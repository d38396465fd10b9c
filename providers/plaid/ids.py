"""Plaid-looking ids for unified rows: base62 text, reversible where a caller sends them back.

Items, accounts and posted transactions are their row's UUID in base62 (22 characters). A transaction
that was pending has a second, derived id for its pending self, so Plaid's sync can remove the pending
transaction and add the posted one (with `pending_transaction_id`) as Plaid does.
"""

from __future__ import annotations

import uuid

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WIDTH = 22  # 62**22 > 2**128
_INDEX = {character: position for position, character in enumerate(ALPHABET)}
_PENDING_NAMESPACE = uuid.UUID("0b6a4c7e-52a1-4c36-9a43-8f1b3c1f6d20")


def encode(value: uuid.UUID) -> str:
    number, digits = value.int, []
    while number:
        number, digit = divmod(number, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits)).rjust(WIDTH, "0")


def decode(text: str) -> uuid.UUID | None:
    """The UUID behind a Plaid id, or None if `text` is not one."""
    if len(text) != WIDTH or any(character not in _INDEX for character in text):
        return None
    number = 0
    for character in text:
        number = number * 62 + _INDEX[character]
    return uuid.UUID(int=number) if number < 1 << 128 else None


def pending_id(transaction_id: uuid.UUID) -> str:
    """The id a transaction had while it was pending."""
    return encode(uuid.uuid5(_PENDING_NAMESPACE, str(transaction_id)))
