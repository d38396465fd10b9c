from __future__ import annotations

import pytest

from gateway.crypto import (
    DecryptionError,
    SecretBox,
    generate_api_secret,
    hash_api_secret,
    verify_api_secret,
)

MASTER = "m" * 48


class TestSecretBox:
    def test_round_trip_and_fresh_nonce(self) -> None:
        box = SecretBox(MASTER)
        first, second = box.encrypt(b"bank password"), box.encrypt(b"bank password")
        assert first != second
        assert b"bank password" not in first.encode()
        assert box.decrypt(first) == box.decrypt(second) == b"bank password"

    def test_tampering_is_detected(self) -> None:
        box = SecretBox(MASTER)
        token = box.encrypt(b"secret")
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        with pytest.raises(DecryptionError):
            box.decrypt(tampered)

    def test_other_key_and_other_context_cannot_decrypt(self) -> None:
        token = SecretBox(MASTER).encrypt(b"secret", associated_data=b"link:1")
        with pytest.raises(DecryptionError):
            SecretBox("n" * 48).decrypt(token, associated_data=b"link:1")
        with pytest.raises(DecryptionError):
            SecretBox(MASTER).decrypt(token, associated_data=b"link:2")

    def test_unknown_version_is_refused(self) -> None:
        with pytest.raises(DecryptionError, match="version"):
            SecretBox(MASTER).decrypt("v0.abc")


class TestApiSecrets:
    def test_secret_has_256_bits(self) -> None:
        secret = generate_api_secret()
        assert len(secret) >= 43  # 32 random bytes, base64url
        assert generate_api_secret() != secret

    def test_hmac_verifies_only_the_right_secret_under_the_right_key(self) -> None:
        secret = generate_api_secret()
        stored = hash_api_secret(MASTER, secret)
        assert secret not in stored
        assert verify_api_secret(MASTER, secret, stored)
        assert not verify_api_secret(MASTER, secret + "x", stored)
        assert not verify_api_secret("n" * 48, secret, stored)
