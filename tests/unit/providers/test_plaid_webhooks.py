"""Plaid webhook verification (providers/plaid/webhooks.py), with keys made here as Plaid makes them:
ES256 over a JWT whose claims are `iat` and the body's SHA-256."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from providers.base import ProviderError, WebhookRefused
from providers.plaid.webhooks import MAX_AGE_S, WebhookVerifier

NOW = 1_800_000_000.0
BODY = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
                   "item_id": "item-1"}, indent=2).encode()  # fmt: skip


class Plaid:
    """Signs like Plaid and answers `/webhook_verification_key/get` for the keys it holds."""

    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {"kid-1": ec.generate_private_key(ec.SECP256R1())}
        self.expired: set[str] = set()
        self.asked: list[str] = []

    def sign(self, body: bytes, *, kid: str = "kid-1", iat: float = NOW, alg: str = "ES256") -> str:
        claims = {"iat": int(iat), "request_body_sha256": hashlib.sha256(body).hexdigest()}
        key: Any = self.keys[kid] if alg == "ES256" else "a-shared-secret-that-is-long-enough-for-hs256"
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})

    async def key(self, kid: str) -> Mapping[str, Any]:
        self.asked.append(kid)
        if kid not in self.keys:
            raise ProviderError("INVALID_WEBHOOK_VERIFICATION_KEY_ID")
        jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(self.keys[kid].public_key()))
        return jwk | {"alg": "ES256", "use": "sig", "kid": kid, "created_at": 1,
                      "expired_at": 2 if kid in self.expired else None}  # fmt: skip


@pytest.fixture
def plaid() -> Plaid:
    return Plaid()


class Verifier:
    """The verifier as the adapter calls it: with the fetch of the keys whoever verifies holds."""

    def __init__(self, plaid: Plaid, now: float) -> None:
        self.plaid, self.checks = plaid, WebhookVerifier(clock=lambda: now)

    async def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        return await self.checks.verify(headers, body, self.plaid.key)


def verifier(plaid: Plaid, now: float = NOW) -> Verifier:
    return Verifier(plaid, now)


async def test_a_webhook_signed_by_plaid_verifies_and_its_key_is_cached(plaid: Plaid) -> None:
    check = verifier(plaid)
    headers = {"Plaid-Verification": plaid.sign(BODY)}
    assert (await check.verify(headers, BODY))["item_id"] == "item-1"
    assert (await check.verify(headers, BODY))["webhook_code"] == "SYNC_UPDATES_AVAILABLE"
    assert plaid.asked == ["kid-1"]


async def refused(check: Verifier, headers: dict[str, str], body: bytes = BODY) -> str:
    with pytest.raises(WebhookRefused) as refusal:
        await check.verify(headers, body)
    return str(refusal.value)


async def test_what_is_refused(plaid: Plaid) -> None:
    check = verifier(plaid)
    assert "no Plaid-Verification" in await refused(check, {})
    assert "not a JWT" in await refused(check, {"plaid-verification": "nope"})
    # Another algorithm is refused before any key is fetched.
    assert "ES256" in await refused(check, {"plaid-verification": plaid.sign(BODY, alg="HS256")})
    assert plaid.asked == []
    altered = BODY.replace(b"item-1", b"item-2")
    assert "not the one Plaid signed" in await refused(
        check, {"plaid-verification": plaid.sign(BODY)}, altered
    )
    stale = plaid.sign(BODY, iat=NOW - MAX_AGE_S - 1)
    assert "stale" in await refused(check, {"plaid-verification": stale})
    plaid.keys["kid-2"] = ec.generate_private_key(ec.SECP256R1())
    forged = plaid.sign(BODY, kid="kid-2")
    plaid.keys["kid-2"] = ec.generate_private_key(ec.SECP256R1())  # Plaid's kid-2 is another key
    assert "does not verify" in await refused(check, {"plaid-verification": forged})
    plaid.keys["kid-3"] = ec.generate_private_key(ec.SECP256R1())
    unknown = plaid.sign(BODY, kid="kid-3")
    del plaid.keys["kid-3"]
    assert "does not know the key" in await refused(check, {"plaid-verification": unknown})


async def test_an_expired_key_is_refused(plaid: Plaid) -> None:
    plaid.expired.add("kid-1")
    assert "expired" in await refused(verifier(plaid), {"plaid-verification": plaid.sign(BODY)})


async def test_a_signature_fresh_enough_passes_at_the_edge(plaid: Plaid) -> None:
    edge = plaid.sign(BODY, iat=NOW - MAX_AGE_S)
    assert (await verifier(plaid).verify({"plaid-verification": edge}, BODY))["item_id"] == "item-1"
