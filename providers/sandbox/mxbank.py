"""MX Bank (`mxbank`), MX's own test institution, with MX's test credentials.

| username | password      | outcome                                                        |
| mxuser   | challenge     | one text question; the answer `correct` passes                 |
| mxuser   | options       | one choice between Correct and Incorrect; `correct` passes     |
| mxuser   | BAD_REQUEST   | the institution refuses the request (MX: FAILED)               |
| mxuser   | UNAUTHORIZED  | invalid_credentials (MX: DENIED)                               |
| mxuser   | anything else | connected, no MFA                                              |
| other    |               | invalid_credentials                                            |
"""

from __future__ import annotations

from collections.abc import Mapping

from providers.base import (
    ChallengeRequired,
    Connected,
    ConnectResult,
    CredentialField,
    InstitutionInfo,
    MfaChallenge,
    MfaPrompt,
    Product,
    ReconnectRequired,
)

MX_BANK_ID = "mxbank"
MX_BANK = InstitutionInfo(
    provider_institution_id=MX_BANK_ID,
    name="MX Bank",
    url="https://www.mx.com",
    color="#2f73da",
    login="credentials",
    credential_fields=(
        CredentialField("username", "Username"),
        CredentialField("password", "Password", secret=True),
    ),
    products=(Product.accounts, Product.account_numbers, Product.identity, Product.transactions,
              Product.investments),
)  # fmt: skip
MX_USER = "mxuser"

# Keyed by the pending `mfa` value; distinct from the Credentials Bank table so neither leaks into the other.
MX_BANK_CHALLENGES: dict[str, tuple[MfaChallenge, dict[str, str]]] = {
    "mxbank:challenge": (
        MfaChallenge(
            "questions", (MfaPrompt("mxbank-text", "What city were you born in? (MX Bank: correct)"),)
        ),
        {"mxbank-text": "correct"},
    ),
    "mxbank:options": (
        MfaChallenge(
            "selection", (MfaPrompt("mxbank-options", "Choose the right answer.", ("Correct", "Incorrect")),)
        ),
        {"mxbank-options": "correct"},
    ),
}


def connect_mx_bank(credentials: Mapping[str, str], connected: Connected) -> ConnectResult:
    """MX Bank's outcome for these credentials; `connected` is what a successful login returns."""
    username, password = credentials.get("username", ""), credentials.get("password", "")
    if username != MX_USER or password == "UNAUTHORIZED":
        raise ReconnectRequired("The username or password is not correct.", error_code="invalid_credentials")
    if password == "BAD_REQUEST":
        raise ReconnectRequired(
            "You must fill out the username and password fields.", error_code="institution_error"
        )
    if f"mxbank:{password}" in MX_BANK_CHALLENGES:
        challenge, _ = MX_BANK_CHALLENGES[f"mxbank:{password}"]
        return ChallengeRequired(
            challenge, {"institution": MX_BANK_ID, "username": username, "mfa": f"mxbank:{password}"}
        )
    return connected
