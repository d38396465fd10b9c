"""Secrets at rest: keys derived from the master secret, AES-GCM encryption, keyed HMACs for API secrets.

API key secrets are gateway-generated 256-bit random strings, so a keyed HMAC is as strong as a slow
hash for them and costs about 2 us instead of about 111 ms (argon2id) on this class of machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENCRYPTION_PURPOSE = b"linkgate/encryption/v1"
API_SECRET_PURPOSE = b"linkgate/api-secret-hmac/v1"
CIPHERTEXT_PREFIX = "v1."
NONCE_BYTES = 12


class DecryptionError(ValueError):
    """Raised when a ciphertext was not produced by this key or was tampered with."""


@lru_cache(maxsize=32)
def derive_key(master_key: str, purpose: bytes) -> bytes:
    """A 256-bit subkey for one purpose, so no two uses ever share key material."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
    return hkdf.derive(master_key.encode())


class SecretBox:
    """Authenticated encryption (AES-256-GCM) for secrets stored in the database."""

    def __init__(self, master_key: str) -> None:
        self._aead = AESGCM(derive_key(master_key, ENCRYPTION_PURPOSE))

    def encrypt(self, plaintext: bytes, *, associated_data: bytes = b"") -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, associated_data)
        return CIPHERTEXT_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, *, associated_data: bytes = b"") -> bytes:
        if not token.startswith(CIPHERTEXT_PREFIX):
            raise DecryptionError("unknown ciphertext version")
        try:
            raw = base64.urlsafe_b64decode(token[len(CIPHERTEXT_PREFIX) :])
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
        except Exception as exc:  # InvalidTag, binascii.Error: all mean "not ours"
            raise DecryptionError("ciphertext does not decrypt with this key") from exc


def generate_api_secret() -> str:
    """A new API key secret with 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def hash_api_secret(master_key: str, secret: str) -> str:
    """The keyed HMAC-SHA256 stored in place of an API key secret."""
    digest = hmac.new(derive_key(master_key, API_SECRET_PURPOSE), secret.encode(), hashlib.sha256)
    return digest.hexdigest()


def verify_api_secret(master_key: str, secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with its stored HMAC."""
    return hmac.compare_digest(hash_api_secret(master_key, secret), stored_hash)
