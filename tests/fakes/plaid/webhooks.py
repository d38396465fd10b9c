"""Webhook signing and delivery as Plaid does it (plaid-upstream.md §9, plaid.md §6.3): a pretty-printed
JSON body POSTed with a `Plaid-Verification` header holding an ES256 JWT over the body's SHA-256."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.plaid.models import Delivery, JsonObject, WebhookTampering

DELIVERY_TIMEOUT_S = 10.0
"""Plaid gives a receiver 10 s before it counts the delivery as failed (plaid.md §6.4)."""


@dataclass
class SigningKey:
    """One EC P-256 key: current while `expired_at` is None, kept retrievable after rotation."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey
    created_at: int
    expired_at: int | None = None

    @classmethod
    def generate(cls, created_at: int) -> SigningKey:
        return cls(str(uuid.uuid4()), ec.generate_private_key(ec.SECP256R1()), created_at)

    def jwk(self) -> JsonObject:
        """The public half as `/webhook_verification_key/get` serves it (Spec `JWKPublicKey`)."""
        numbers = self.private_key.public_key().public_numbers()
        return {
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
            "created_at": self.created_at,
            "expired_at": self.expired_at,
        }


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def webhook_body(payload: JsonObject) -> bytes:
    """The exact bytes sent: Plaid pretty-prints webhook JSON (plaid.md §6.3)."""
    return json.dumps(payload, indent=2).encode()


def verification_header(body: bytes, key: SigningKey, now: float, tampering: WebhookTampering) -> str:
    """The `Plaid-Verification` JWT for `body`, bent as `tampering` asks."""
    hashed = body + b" " if tampering.wrong_body_hash else body
    claims = {
        "iat": int(now) - tampering.stale_iat_s,
        "request_body_sha256": hashlib.sha256(hashed).hexdigest(),
    }
    signer = ec.generate_private_key(ec.SECP256R1()) if tampering.foreign_key else key.private_key
    kid = str(uuid.uuid4()) if tampering.unknown_kid else key.kid
    return jwt.encode(claims, signer, algorithm="ES256", headers={"kid": kid})


def refuse_non_loopback(url: str) -> None:
    """The fake only ever calls back into the test machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
        raise ValueError(f"the fake Plaid only delivers webhooks to http://127.0.0.1 URLs, not {url!r}")


def deliver(
    url: str, payload: JsonObject, key: SigningKey, now: float, tampering: WebhookTampering
) -> Delivery:
    """POST one webhook and wait for the answer (no retries: tests decide what happens next)."""
    refuse_non_loopback(url)
    body = webhook_body(payload)
    headers = {
        "Content-Type": "application/json",
        "Plaid-Verification": verification_header(body, key, now, tampering),
        "User-Agent": "Plaid Verifier",
    }
    try:
        # No TLS verification: only loopback receivers, and it spares building a CA bundle per delivery.
        with httpx.Client(timeout=DELIVERY_TIMEOUT_S, verify=False) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return Delivery(url, payload, body, headers, None, f"{type(error).__name__}: {error}")
    return Delivery(url, payload, body, headers, response.status_code, None)
