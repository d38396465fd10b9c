"""The sandbox login table: which credentials connect, which ask for MFA, and what the answers are.

| username          | password        | outcome                                              |
| user_good         | pass_good       | connected                                            |
| user_good         | mfa_device      | one-time code; the right one is 1234                 |
| user_good         | mfa_question    | two questions that state their answers (Hello, World)|
| user_good         | mfa_selections  | one choice that states its answer (Blue)             |
| user_1 / user_2   | pass_good       | connected; static accounts, identity, transactions   |
| anything else     |                 | invalid_credentials                                  |

MX Bank (`mxbank`) has MX's own test logins instead (providers/sandbox/mxbank.py).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping

from providers.base import (
    ChallengeRequired,
    Connected,
    ConnectResult,
    MfaChallenge,
    MfaPrompt,
    ProviderState,
    ReconnectRequired,
)
from providers.sandbox.institutions import INSTITUTIONS
from providers.sandbox.mxbank import MX_BANK_CHALLENGES, MX_BANK_ID, connect_mx_bank

STATIC_USERS = frozenset({"user_1", "user_2"})

CHALLENGES: dict[str, tuple[MfaChallenge, dict[str, str]]] = {
    "mfa_device": (
        MfaChallenge(
            "otp", (MfaPrompt("code", "Enter the code we sent to your device (in the sandbox: 1234)."),)
        ),
        {"code": "1234"},
    ),
    "mfa_question": (
        MfaChallenge(
            "questions",
            (
                MfaPrompt("q1", "Security question: type Hello."),
                MfaPrompt("q2", "Security question: type World."),
            ),
        ),
        {"q1": "Hello", "q2": "World"},
    ),
    "mfa_selections": (
        MfaChallenge(
            "selection",
            (MfaPrompt("colour", "Which colour is right? Choose Blue.", ("Red", "Green", "Blue")),),
        ),
        {"colour": "Blue"},
    ),
}


def connected(institution_id: str, username: str) -> Connected:
    link_id = f"sbx-{uuid.uuid4().hex}"
    # Static users get the same data on every link; everyone else a link-specific seed.
    seed = username if username in STATIC_USERS else link_id
    return Connected(link_id, {"institution": institution_id, "username": username, "seed": seed})


def connect(institution_id: str, credentials: Mapping[str, str]) -> ConnectResult:
    institution = INSTITUTIONS.get(institution_id)
    if institution is None:
        raise ReconnectRequired(f"no sandbox institution {institution_id!r}", error_code="institution_error")
    if institution.login == "credentials" and not institution.credential_fields:  # Instant Bank
        return connected(institution_id, "instant")
    if institution.login == "redirect":
        if credentials.get("consent") != "granted":
            raise ReconnectRequired("You did not allow access at OAuth Bank.", error_code="user_oauth_denied")
        return connected(institution_id, "oauth")
    if institution_id == MX_BANK_ID:
        return connect_mx_bank(credentials, connected(institution_id, credentials.get("username", "")))
    username, password = credentials.get("username", ""), credentials.get("password", "")
    if username in STATIC_USERS and password == "pass_good":
        return connected(institution_id, username)
    if username == "user_good" and password == "pass_good":
        return connected(institution_id, username)
    if username == "user_good" and password in CHALLENGES:
        challenge, _ = CHALLENGES[password]
        return ChallengeRequired(
            challenge, {"institution": institution_id, "username": username, "mfa": password}
        )
    raise ReconnectRequired("The username or password is not correct.", error_code="invalid_credentials")


def answer(pending: ProviderState, answers: Mapping[str, str]) -> ConnectResult:
    mfa = str(pending.get("mfa", ""))
    known = CHALLENGES.get(mfa) or MX_BANK_CHALLENGES.get(mfa)
    if known is None:
        raise ReconnectRequired("there is no challenge to answer", error_code="user_error")
    _, expected = known
    correct = all(
        hmac.compare_digest(answers.get(prompt, "").strip().lower(), value.lower())
        for prompt, value in expected.items()
    )
    if not correct:
        raise ReconnectRequired("That answer is not correct.", error_code="user_input_incorrect")
    return connected(str(pending["institution"]), str(pending["username"]))
