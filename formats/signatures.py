"""The JWT signatures MoneyKit's and Plaid's webhooks carry, over the exact bytes sent.

An ES256 JWT whose claims hold the body's SHA-256 (`request_body_sha256`) and `iat` (and `iss` for
MoneyKit), signed with the active key and naming it by `kid`, so receivers verify it with the public
JWKS (MoneyKit) or the key `/webhook_verification_key/get` returns (Plaid).
"""

from __future__ import annotations

import hashlib
import time

import jwt

from formats.webhook import KeySource


def body_signature_jwt(
    ring: KeySource, body: bytes, *, issuer: str | None = None, now: int | None = None
) -> str:
    """An ES256 JWT over the body's SHA-256 (`iat`, `request_body_sha256`, and `iss` when given), signed
    with the ring's active key and naming it by `kid`: MoneyKit's and Plaid's webhook signatures."""
    key = ring.signing_key()
    claims: dict[str, object] = {
        "iat": int(time.time()) if now is None else now,
        "request_body_sha256": hashlib.sha256(body).hexdigest(),
    }
    if issuer is not None:
        claims["iss"] = issuer
    return jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": key.kid, "typ": "JWT"})


def moneykit_signature(ring: KeySource, issuer: str, body: bytes, now: int | None = None) -> str:
    """`MoneyKit-Signature`, verifiable with the public JWKS."""
    return body_signature_jwt(ring, body, issuer=issuer, now=now)
