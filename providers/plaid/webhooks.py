"""Verifying Plaid's webhooks as Plaid documents (plaid-upstream.md §9).

The `Plaid-Verification` header is a compact JWT signed with ES256 (any other algorithm is refused
before a key is fetched); its `kid` names a key from `/webhook_verification_key/get`, cached by `kid`
for an hour (a key Plaid marks expired is refused); its `iat` may be at most five minutes old; its
`request_body_sha256` must equal the SHA-256 of the exact bytes received, compared in constant time.
Anything else is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm

from providers.base import ProviderError, WebhookRefused

HEADER = "plaid-verification"
MAX_AGE_S = 5 * 60
KEY_CACHE_S = 60 * 60  # a key Plaid expires meanwhile is asked about again within the hour
KeyFetcher = Callable[[str], Awaitable[Mapping[str, Any]]]


class WebhookVerifier:
    """Checks requests, with one cache of Plaid's keys for the process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._keys: dict[str, tuple[Any, float]] = {}  # kid → (key, when fetched)

    async def verify(self, headers: Mapping[str, str], body: bytes, fetch_key: KeyFetcher) -> dict[str, Any]:
        """The webhook's JSON body, once every check passed; `WebhookRefused` otherwise. `fetch_key(kid)`
        asks Plaid for a key it does not hold (with the keys of whoever verifies)."""
        token = next((value for name, value in headers.items() if name.lower() == HEADER), None)
        if not token:
            raise WebhookRefused("no Plaid-Verification header")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise WebhookRefused("Plaid-Verification is not a JWT") from exc
        if header.get("alg") != "ES256" or not isinstance(header.get("kid"), str):
            raise WebhookRefused("Plaid-Verification must be ES256 with a kid")
        key = await self._key(header["kid"], fetch_key)
        try:
            claims = jwt.decode(
                token, key, algorithms=["ES256"],
                options={"require": ["iat"], "verify_aud": False, "verify_iat": False},
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise WebhookRefused("Plaid-Verification does not verify") from exc
        self._check_fresh(claims.get("iat"))
        expected = str(claims.get("request_body_sha256") or "")
        if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), expected):
            raise WebhookRefused("the body is not the one Plaid signed")
        return _json_object(body)

    def _check_fresh(self, issued_at: Any) -> None:
        if not isinstance(issued_at, int | float):
            raise WebhookRefused("Plaid-Verification has no iat")
        age = self._clock() - issued_at
        if age > MAX_AGE_S or age < -MAX_AGE_S:
            raise WebhookRefused("Plaid-Verification is stale")

    async def _key(self, kid: str, fetch_key: KeyFetcher) -> Any:
        cached = self._keys.get(kid)
        if cached is not None and self._clock() - cached[1] < KEY_CACHE_S:
            return cached[0]
        try:
            jwk = await fetch_key(kid)
        except ProviderError as exc:
            raise WebhookRefused("Plaid does not know the key that signed this webhook") from exc
        if jwk.get("alg") != "ES256" or jwk.get("kty") != "EC":
            raise WebhookRefused("Plaid's key is not an ES256 key")
        if jwk.get("expired_at") is not None:
            raise WebhookRefused("the key that signed this webhook has expired")
        key = ECAlgorithm.from_jwk(json.dumps(dict(jwk)))
        self._keys[kid] = (key, self._clock())
        return key


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body)
    except ValueError as exc:
        raise WebhookRefused("the webhook body is not JSON") from exc
    if not isinstance(decoded, dict):
        raise WebhookRefused("the webhook body is not a JSON object")
    return decoded
