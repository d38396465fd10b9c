"""Signatures a delivery carries: Standard Webhooks HMAC for every format; MoneyKit's and Plaid's JWTs
for their own.

Both are computed over the exact bytes sent; the body is never re-serialised after signing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import jwt

from gateway.auth.signing_keys import KeyRing
from gateway.webhooks.secrets import SECRET_PREFIX


def standard_webhook_signature(secrets: list[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: one `v1,<base64 HMAC-SHA256>` per secret, space-separated."""
    content = f"{webhook_id}.{timestamp}.".encode() + body
    signatures = []
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
        digest = hmac.new(key, content, hashlib.sha256).digest()
        signatures.append("v1," + base64.b64encode(digest).decode())
    return " ".join(signatures)


def body_signature_jwt(
    ring: KeyRing, body: bytes, *, issuer: str | None = None, now: int | None = None
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


def moneykit_signature(ring: KeyRing, issuer: str, body: bytes, now: int | None = None) -> str:
    """`MoneyKit-Signature`, verifiable with the public JWKS."""
    return body_signature_jwt(ring, body, issuer=issuer, now=now)
