"""The contract suite's log scan notes credentials from every part of an exchange, and only those."""

from __future__ import annotations

import base64
import json

from tests.support.credential_ledger import CredentialLedger


def test_credentials_are_noted_wherever_they_cross() -> None:
    ledger = CredentialLedger()
    basic = base64.b64encode(b"client-id-123:basic-secret-456").decode()
    ledger.note_exchange(
        [("Authorization", f"Basic {basic}"), ("PLAID-SECRET", "header-secret-789"),
         ("accept", "application/json")],
        "token=query-token-abc&page=2",
        b"grant_type=client_credentials&client_secret=form-secret-def",
        json.dumps({"access_token": "access-sandbox-1234", "token_type": "Bearer", "expires_in": 3600,
                    "numbers": {"ach": [{"account": "1111222233330000", "routing": "011401533"}]},
                    "item_id": "not-a-secret-item"}).encode(),
    )  # fmt: skip
    line = " ".join([
        "client-id-123", "basic-secret-456", "header-secret-789", "query-token-abc", "form-secret-def",
        "access-sandbox-1234", "1111222233330000", "011401533",
    ])  # fmt: skip
    assert len(ledger.leaks(line)) == 8
    assert ledger.leaks("Bearer 3600 not-a-secret-item client_credentials application/json") == []


def test_a_leak_is_reported_without_repeating_it() -> None:
    ledger = CredentialLedger()
    ledger.note(["s3cr3t-value-that-leaked", "short"])
    assert ledger.leaks("... s3cr3t-value-that-leaked ...") == ["s3cr…(24 chars)"]
    assert ledger.leaks("short") == []  # too short to search for: it would be found by chance
