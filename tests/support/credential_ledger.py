"""Every credential a test run saw cross the wire, to search the gateway's logs for.

The validating proxy (tests/support/conformance/proxy.py) notes each exchange: secrets in the request
(headers, form or JSON bodies, query strings) and in the response (tokens issued, account numbers
shown). `leaks(text)` names those found in a log. The keys are judged here on their own, not with the
gateway's redaction rules (gateway/access_log.py), so a gap in those is caught rather than shared.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

SECRET_KEY_PARTS = ("token", "secret", "password", "passcode", "api_key", "apikey")
ACCOUNT_NUMBER_KEYS = frozenset({
    "account", "routing", "wire_routing", "account_number", "routing_number", "accountnumber",
    "bankaccountnumber", "iban", "bic", "sort_code",
})  # fmt: skip
NOT_SECRET_KEYS = frozenset({"token_type", "tokentype", "expires_in", "expiresin"})
SECRET_HEADERS = frozenset({"plaid-secret", "x-api-key", "cookie"})
SHORTEST = 8  # shorter values (masks, "Bearer", enum words) would be found in any log by chance


class CredentialLedger:
    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def note(self, values: Iterable[str]) -> None:
        with self._lock:
            self._seen.update(value for value in values if len(value) >= SHORTEST)

    def note_exchange(
        self, request_headers: Iterable[tuple[str, str]], query: str, request_body: bytes,
        response_body: bytes,
    ) -> None:  # fmt: skip
        self.note(_from_headers(request_headers))
        self.note(_from_pairs(parse_qsl(query, keep_blank_values=True)))
        for body in (request_body, response_body):
            self.note(_from_body(body))

    def leaks(self, text: str) -> list[str]:
        """The credentials `text` contains (shortened, so a report does not leak them further)."""
        with self._lock:
            found = [value for value in self._seen if value in text]
        return sorted(f"{value[:4]}…({len(value)} chars)" for value in found)


def _from_headers(headers: Iterable[tuple[str, str]]) -> list[str]:
    values = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "authorization":
            scheme, _, credential = value.partition(" ")
            values.append(credential)
            if scheme.lower() == "basic":
                values += _basic_parts(credential)
        elif lowered in SECRET_HEADERS:
            values.append(value)
    return values


def _basic_parts(credential: str) -> list[str]:
    try:
        decoded = base64.b64decode(credential, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return []
    return list(decoded.partition(":")[::2])


def _from_body(body: bytes) -> list[str]:
    if not body:
        return []
    try:
        return list(_from_json(json.loads(body)))
    except (ValueError, UnicodeDecodeError):
        return _from_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


def _from_pairs(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [value for key, value in pairs if _is_credential_key(key)]


def _from_json(value: Any, key: str = "") -> Iterable[str]:
    if isinstance(value, Mapping):
        for name, inner in value.items():
            yield from _from_json(inner, str(name))
    elif isinstance(value, list):
        for inner in value:
            yield from _from_json(inner, key)
    elif isinstance(value, str) and _is_credential_key(key):
        yield value


def _is_credential_key(key: str) -> bool:
    normalized = key.lower().replace("-", "_")
    if normalized in NOT_SECRET_KEYS:
        return False
    return normalized in ACCOUNT_NUMBER_KEYS or any(part in normalized for part in SECRET_KEY_PARTS)
