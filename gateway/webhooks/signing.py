"""The Standard Webhooks HMAC signature every delivery carries, whatever its format (MoneyKit's and
Plaid's own JWTs are in `formats.signatures`).

It is computed over the exact bytes sent; the body is never re-serialised after signing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

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
