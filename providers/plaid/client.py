"""Plaid over HTTP: every call a JSON POST with the keys in headers, as the OpenAPI file's security
schemes declare (`PLAID-CLIENT-ID`, `PLAID-SECRET`, `Plaid-Version`), never in the body.

The HTTP client is injected (one per process; it never follows redirects). A non-2xx answer is Plaid's
`PlaidError`, raised as `PlaidApiError` for the adapter to turn into what Linkgate does next; transport
failures and answers that are not JSON are Plaid being unavailable (`RetryLater`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from providers.base import ProviderError, RetryLater, upstream_call
from providers.bodies import AnswerTooLarge, read_capped
from providers.plaid.settings import API_VERSION, PlaidKeys, PlaidSettings

MAX_BODY_BYTES = 50 * 1024 * 1024
UNAVAILABLE_RETRY_S = 60.0


class PlaidApiError(ProviderError):
    """Plaid answered with an error: branch on `error_code`, not on the HTTP status (Plaid's advice)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.error_type = str(body.get("error_type") or "API_ERROR")
        self.error_code = str(body.get("error_code") or "INTERNAL_SERVER_ERROR")
        self.request_id = str(body.get("request_id") or "")
        self.display_message = body.get("display_message")
        super().__init__(
            f"Plaid {self.error_type}/{self.error_code} ({status}): {body.get('error_message', '')}"
        )


@dataclass(frozen=True)
class PlaidClient:
    http: httpx.AsyncClient
    settings: PlaidSettings

    async def call(self, keys: PlaidKeys, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` to `endpoint` (e.g. `/accounts/get`) with `keys`; Plaid's answer as a dict."""
        headers = {
            "PLAID-CLIENT-ID": keys.client_id,
            "PLAID-SECRET": keys.secret,
            "Plaid-Version": API_VERSION,
            "Content-Type": "application/json",
        }
        url = self.settings.host(keys.environment) + endpoint
        try:
            async with self.http.stream(
                "POST", url, content=orjson.dumps(dict(body)), headers=headers,
                timeout=self.settings.timeout_s, follow_redirects=False,
                extensions=upstream_call("plaid", endpoint),
            ) as response:  # fmt: skip
                raw = await read_capped(response, MAX_BODY_BYTES)
        except httpx.TransportError as exc:
            raise RetryLater(f"Plaid {endpoint} unreachable: {type(exc).__name__}") from exc
        except AnswerTooLarge:
            raise RetryLater(f"Plaid {endpoint} answered more than any answer Plaid sends") from None
        answer = _json_object(raw, endpoint, response.status_code)
        if not 200 <= response.status_code < 300:
            raise PlaidApiError(response.status_code, answer)
        return answer


def _json_object(raw: bytes, endpoint: str, status: int) -> dict[str, Any]:
    try:
        decoded = orjson.loads(raw)
    except orjson.JSONDecodeError:
        decoded = None
    if not isinstance(decoded, dict):
        raise RetryLater(
            f"Plaid {endpoint} answered {status} without a JSON object", defer_s=UNAVAILABLE_RETRY_S
        )
    return decoded
