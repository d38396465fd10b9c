"""Minting and verifying Linkgate JWTs.

Four kinds with disjoint validation rules (RFC 8725 §3.11-3.12): each has its own `typ` header and
`kind` claim and its own required and forbidden claims, and dashboard sessions use a separate
audience, so no token can ever pass as another kind.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from gateway.auth.signing_keys import ALGORITHM, KeyRing
from gateway.settings import LONGEST_DASHBOARD_SESSION_S


class TokenKind(StrEnum):
    generic = "generic"
    user = "user"
    item = "item"
    dashboard = "dashboard"


LIFETIME_S = {
    TokenKind.generic: 3600,
    TokenKind.user: 3 * 3600,
    TokenKind.item: 24 * 3600,
}
LONGEST_API_TOKEN_S = max(LIFETIME_S.values())
EARLIEST_ISSUE = 1_577_836_800  # 2020-01-01T00:00:00Z: no token of ours is older
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "kind", "jti"]
_SANE_KID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InvalidTokenError(Exception):
    """Not a token of ours, or one that breaks a rule; the message says which (for logs, not callers)."""


class ExpiredTokenError(InvalidTokenError):
    pass


class UnknownKeyError(InvalidTokenError):
    """Signed with a `kid` this process does not know (yet): the caller may reload keys once and retry."""


@dataclass(frozen=True)
class TokenClaims:
    kind: TokenKind
    subject: str
    app_id: str | None
    user_field: str | None
    user: str | None
    item: str | None
    organization: str | None
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    jti: str
    kid: str


def token_type_header(kind: TokenKind) -> str:
    return f"lg-{kind.value}+jwt"


def dashboard_audience(audience: str) -> str:
    return f"{audience}:dashboard"


def mint(
    ring: KeyRing,
    *,
    issuer: str,
    audience: str,
    kind: TokenKind,
    subject: str,
    lifetime_s: int,
    app_id: str | None = None,
    user_field: str | None = None,
    user: str | None = None,
    item: str | None = None,
    organization: str | None = None,
    scopes: tuple[str, ...] = (),
) -> str:
    key = ring.signing_key()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": dashboard_audience(audience) if kind is TokenKind.dashboard else audience,
        "sub": subject,
        "kind": kind.value,
        "iat": now,
        "exp": now + lifetime_s,
        "jti": secrets.token_urlsafe(12),
    }
    optional = {
        "app": app_id,
        "user_field": user_field,
        "user": user,
        "item": item,
        "organization": organization,
    }
    claims.update({name: value for name, value in optional.items() if value is not None})
    if kind is not TokenKind.dashboard:
        claims["scope"] = " ".join(scopes)
    headers = {"kid": key.kid, "typ": token_type_header(kind)}
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers=headers)


def verify(
    ring: KeyRing, token: str, *, issuer: str, audience: str, kind: TokenKind | None = None
) -> TokenClaims:
    """Check signature, algorithm, lifetime, issuer, audience and the kind's own rules.

    `kind=None` accepts any API token kind (generic, user, item); dashboard tokens must be asked for.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(f"malformed token: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(f"algorithm {header.get('alg')!r} is not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not _SANE_KID.match(kid):
        raise InvalidTokenError("missing or malformed kid")
    public_key = ring.verification_key(kid)
    if public_key is None:
        raise UnknownKeyError(f"unknown kid {kid!r}")
    expected_audience = dashboard_audience(audience) if kind is TokenKind.dashboard else audience
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            audience=expected_audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ExpiredTokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    parsed = _parse_claims(claims, kid)
    _check_kind_rules(parsed, header.get("typ"), expected=kind)
    return parsed


def _parse_claims(claims: dict[str, Any], kid: str) -> TokenClaims:
    try:
        kind = TokenKind(claims["kind"])
    except ValueError as exc:
        raise InvalidTokenError(f"unknown kind {claims['kind']!r}") from exc
    strings = {name: claims.get(name) for name in ("app", "user_field", "user", "item", "organization")}
    if any(value is not None and not isinstance(value, str) for value in strings.values()):
        raise InvalidTokenError("claims of the wrong type")
    scope = claims.get("scope", "")
    if not isinstance(scope, str) or not isinstance(claims["sub"], str):
        raise InvalidTokenError("claims of the wrong type")
    issued_at, expires_at = _timestamp(claims, "iat"), _timestamp(claims, "exp")
    _check_lifetime(kind, issued_at, expires_at)
    return TokenClaims(
        kind=kind,
        subject=claims["sub"],
        app_id=strings["app"],
        user_field=strings["user_field"],
        user=strings["user"],
        item=strings["item"],
        organization=strings["organization"],
        scopes=tuple(scope.split()),
        issued_at=issued_at,
        expires_at=expires_at,
        jti=str(claims["jti"]),
        kid=kid,
    )


def _timestamp(claims: dict[str, Any], name: str) -> int:
    """A NumericDate claim as we mint it: a JSON integer (PyJWT alone also takes "123", 1.5, true)."""
    value = claims[name]
    if type(value) is not int:
        raise InvalidTokenError(f"{name} must be an integer")
    return value


def _check_lifetime(kind: TokenKind, issued_at: int, expires_at: int) -> None:
    """Issued after EARLIEST_ISSUE and not in the future; valid no longer than its kind ever is."""
    longest = LIFETIME_S.get(kind, LONGEST_DASHBOARD_SESSION_S)
    if not EARLIEST_ISSUE <= issued_at <= time.time():
        raise InvalidTokenError("iat out of range")
    if not issued_at < expires_at <= issued_at + longest:
        raise InvalidTokenError("exp out of range")


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _check_kind_rules(claims: TokenClaims, typ: object, *, expected: TokenKind | None) -> None:
    if typ != token_type_header(claims.kind):
        raise InvalidTokenError("typ header does not match the token kind")
    if expected is None and claims.kind is TokenKind.dashboard:
        raise InvalidTokenError("dashboard sessions are not API tokens")
    if expected is not None and claims.kind is not expected:
        raise InvalidTokenError(f"a {claims.kind} token where a {expected} token is required")
    has = {
        "app": claims.app_id is not None,
        "user": claims.user is not None and claims.user_field is not None,
        "item": claims.item is not None,
        "organization": claims.organization is not None,
    }
    required = {
        TokenKind.generic: {"app"},
        TokenKind.user: {"app", "user", "organization"},
        TokenKind.item: {"app", "item", "organization"},
        TokenKind.dashboard: set(),
    }[claims.kind]
    present = {name for name, value in has.items() if value}
    if present != required:
        raise InvalidTokenError(f"a {claims.kind} token must carry exactly {sorted(required)}")
    if claims.kind is TokenKind.dashboard and not _is_uuid(claims.subject):
        raise InvalidTokenError("a dashboard session's subject is a developer id")
    if claims.app_id is not None and not _is_uuid(claims.app_id):
        raise InvalidTokenError("the app claim is an app id")
