"""ES256 signing keys: generated, encrypted at rest, published as a JWKS, rotated without downtime.

A key is `active` (signs), `retiring` (no longer signs, still verifies and is published until every
token it signed has expired) or `retired` (neither).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.models.base import utcnow
from gateway.models.signing_key import SigningKey

ALGORITHM = "ES256"
KEY_AAD = b"linkgate/signing-key"


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    status: str
    public_key: ec.EllipticCurvePublicKey
    private_key: ec.EllipticCurvePrivateKey
    public_jwk: dict[str, Any]


@dataclass(frozen=True)
class KeyRing:
    """The keys this process signs and verifies with; replaced whole when reloaded."""

    keys: dict[str, LoadedKey] = field(default_factory=dict)
    active_kid: str | None = None

    def signing_key(self) -> LoadedKey:
        if self.active_kid is None:
            raise RuntimeError("no active signing key: run `linkgate migrate` and start the API once")
        return self.keys[self.active_kid]

    def verification_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        key = self.keys.get(kid)
        return key.public_key if key is not None else None

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [key.public_jwk for key in self.keys.values()]}


def _new_key(box: SecretBox) -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    kid = f"lg-{secrets.token_hex(8)}"
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
    return SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        private_key_encrypted=box.encrypt(pem, associated_data=KEY_AAD + kid.encode()),
        public_jwk=jwk,
        status="active",
    )


async def load_key_ring(session: AsyncSession, box: SecretBox) -> KeyRing:
    rows = (
        await session.execute(
            select(SigningKey)
            .where(SigningKey.status.in_(("active", "retiring")))
            .order_by(SigningKey.created_at)
        )
    ).scalars()
    keys: dict[str, LoadedKey] = {}
    active_kid = None
    for row in rows:
        pem = box.decrypt(row.private_key_encrypted, associated_data=KEY_AAD + row.kid.encode())
        private_key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        keys[row.kid] = LoadedKey(row.kid, row.status, private_key.public_key(), private_key, row.public_jwk)
        if row.status == "active":
            active_kid = row.kid  # the newest active key signs
    return KeyRing(keys=keys, active_kid=active_kid)


async def ensure_signing_key(session: AsyncSession, box: SecretBox) -> None:
    """Create the first signing key if there is none."""
    existing = (await session.execute(select(SigningKey.kid).where(SigningKey.status == "active"))).first()
    if existing is None:
        session.add(_new_key(box))
        await session.flush()


async def rotate_signing_key(session: AsyncSession, box: SecretBox, *, longest_token_s: float) -> str:
    """Add a new active key; earlier active keys keep verifying, and retire once their tokens expired."""
    now = utcnow()
    await session.execute(
        update(SigningKey).where(SigningKey.status == "active").values(status="retiring", retired_at=now)
    )
    await session.execute(
        update(SigningKey)
        .where(
            SigningKey.status == "retiring", SigningKey.retired_at < now - timedelta(seconds=longest_token_s)
        )
        .values(status="retired")
    )
    key = _new_key(box)
    session.add(key)
    await session.flush()
    return key.kid


async def signing_key_by_kid(session: AsyncSession, kid: str) -> SigningKey | None:
    """A signing key in any status (retired ones too), for verifiers holding an old signature."""
    return await session.get(SigningKey, kid)
