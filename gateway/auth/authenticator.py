"""Turns presented credentials into principals, fast.

ES256 verification costs about 124 us, so verified tokens are cached (bounded, never past their
`exp`, dropped when their signing key leaves the key ring). API clients are cached for
LINKGATE_AUTH_CACHE_TTL_S, which bounds how long a revoked key keeps working (the issue allows 60 s).
A revoked token stops at once in the process that revoked it, within that TTL in the others.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import re
import time
import uuid
from datetime import UTC, datetime

from gateway.auth.cache import TtlCache
from gateway.auth.principal import ApiClient, AppPrincipal, DeveloperPrincipal
from gateway.auth.repository import auth_repository
from gateway.auth.signing_keys import KeyRing, ensure_signing_key, load_key_ring
from gateway.auth.throttle import CredentialThrottle
from gateway.auth.tokens import (
    LIFETIME_S,
    ExpiredTokenError,
    InvalidTokenError,
    TokenClaims,
    TokenKind,
    UnknownKeyError,
    mint,
    verify,
)
from gateway.crypto import SecretBox, hash_api_secret
from gateway.db import Database
from gateway.errors import ExpiredToken, InvalidCredentials, InvalidToken
from gateway.metrics.definitions import TOKENS_ISSUED
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from gateway.text import is_storable

RING_REFRESH_S = 60.0
UNKNOWN_KID_RELOAD_S = 1.0
TOKEN_CACHE_ENTRIES = 100_000
CLIENT_CACHE_ENTRIES = 10_000
_SANE_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Compared against when the client_id is unknown, so a miss takes as long as a wrong secret.
_ABSENT_SECRET_HASH = "0" * 64


class Authenticator:
    def __init__(self, settings: Settings, database: Database, limiter: RateLimiter) -> None:
        self.settings = settings
        self.database = database
        self.throttle = CredentialThrottle(limiter, settings)
        self.master_key = settings.master_key()
        self.box = SecretBox(self.master_key)
        self.ring = KeyRing()
        self._ring_loaded_at = 0.0
        self._ring_lock = asyncio.Lock()
        self._unknown_kid_reload_at = -UNKNOWN_KID_RELOAD_S
        self._tokens: TtlCache[str, TokenClaims] = TtlCache(TOKEN_CACHE_ENTRIES)
        # Whole principals per token: the hot path is one lookup. Bounded by the same TTL as clients,
        # so a revoked key's tokens stop within LINKGATE_AUTH_CACHE_TTL_S here too.
        self._principals: TtlCache[str, tuple[AppPrincipal, str]] = TtlCache(TOKEN_CACHE_ENTRIES)
        # Unknown ids are cached as `(None,)` beside known ones: both answer from one lookup, so how
        # fast a wrong secret is refused never tells whether the client_id exists.
        self._clients: TtlCache[str, tuple[ApiClient | None]] = TtlCache(CLIENT_CACHE_ENTRIES)

    async def start(self) -> None:
        async with self.database.unit_of_work() as session:
            await ensure_signing_key(session, self.box)
        await self.reload_ring()

    async def reload_ring(self) -> None:
        async with self._ring_lock, self.database.unit_of_work() as session:
            self.ring = await load_key_ring(session, self.box)
            self._ring_loaded_at = time.monotonic()

    async def current_ring(self) -> KeyRing:
        """The key ring, refreshed once a minute so rotations made elsewhere are picked up."""
        if time.monotonic() - self._ring_loaded_at > RING_REFRESH_S:
            await self.reload_ring()
        return self.ring

    # API clients ---------------------------------------------------------------------------

    async def api_client(self, client_id: str) -> ApiClient | None:
        cached = self._clients.get(client_id)
        if cached is not None:
            return cached[0]
        if not _SANE_CLIENT_ID.match(client_id):
            return None
        async with self.database.unit_of_work() as session:
            client = await auth_repository.api_client(session, client_id)
        self._clients.put(client_id, (client,), self.settings.auth_cache_ttl_s)
        return client

    def forget_clients(self) -> None:
        """Drop every cached client and principal, after this process changed keys or configuration."""
        self._clients.clear()
        self._principals.clear()

    async def client_credentials(self, client_id: str, client_secret: str) -> ApiClient:
        """The live API client these credentials belong to, or InvalidCredentials (not rate limited:
        callers serving requests use `check_client`)."""
        client = await self.api_client(client_id)
        presented = hash_api_secret(self.master_key, client_secret)
        stored = client.secret_hash if client is not None else _ABSENT_SECRET_HASH
        if not hmac.compare_digest(presented, stored) or client is None or client.revoked:
            raise InvalidCredentials("The client_id or client_secret is not valid.")
        return client

    async def check_client(self, client_id: str, client_secret: str, address: str) -> ApiClient:
        """`client_credentials` for a request from `address`, within the failure and call limits."""
        await self.throttle.before_check(address, client_id)
        try:
            client = await self.client_credentials(client_id, client_secret)
        except InvalidCredentials:
            await self.throttle.failed(address, client_id)
            raise
        await self.throttle.admit(client.client_id)
        return client

    # Tokens --------------------------------------------------------------------------------

    async def issue(
        self,
        client: ApiClient,
        kind: TokenKind,
        *,
        scopes: tuple[str, ...],
        organization: str | None = None,
        user: str | None = None,
        item: str | None = None,
    ) -> tuple[str, int]:
        lifetime = LIFETIME_S[kind]
        token = mint(
            await self.current_ring(),
            issuer=self.settings.base_url,
            audience=self.settings.token_audience,
            kind=kind,
            subject=client.client_id,
            lifetime_s=lifetime,
            app_id=str(client.app_id),
            user_field=client.user_id_field if user is not None else None,
            user=user,
            item=item,
            organization=organization,
            scopes=scopes,
        )
        TOKENS_ISSUED.labels(kind.value).inc()
        return token, lifetime

    async def issue_dashboard_session(self, developer_id: uuid.UUID) -> tuple[str, int]:
        lifetime = self.settings.dashboard_session_ttl_s
        token = mint(
            await self.current_ring(),
            issuer=self.settings.base_url,
            audience=self.settings.token_audience,
            kind=TokenKind.dashboard,
            subject=str(developer_id),
            lifetime_s=lifetime,
        )
        TOKENS_ISSUED.labels(TokenKind.dashboard.value).inc()
        return token, lifetime

    async def bearer(self, token: str, address: str) -> AppPrincipal:
        """The principal of an API token presented from `address`, within the failure and call limits."""
        cached = self._principals.get(token)
        if cached is not None:
            principal, kid = cached
            if kid in self.ring.keys and (principal.expires_at or 0) > time.time():
                await self.throttle.admit(principal.client.client_id)
                return principal
        await self.throttle.before_check(address)
        try:
            principal = await self._fresh_principal(token)
        except InvalidToken:
            await self.throttle.failed(address)
            raise
        await self.throttle.admit(principal.client.client_id)
        return principal

    async def _fresh_principal(self, token: str) -> AppPrincipal:
        claims = await self._verified(token, kind=None)
        client = await self.api_client(claims.subject)
        if client is None or client.revoked or str(client.app_id) != claims.app_id:
            raise InvalidToken("The API key this token was issued for has been revoked.")
        async with self.database.unit_of_work() as session:
            if await auth_repository.is_revoked(session, claims.jti):
                raise InvalidToken("This token has been revoked.")
        principal = AppPrincipal(
            kind=claims.kind,
            client=client,
            scopes=claims.scopes,
            organization=claims.organization,
            user_field=claims.user_field,
            user=claims.user,
            item=claims.item,
            expires_at=claims.expires_at,
        )
        ttl = min(claims.expires_at - time.time(), self.settings.auth_cache_ttl_s)
        self._principals.put(token, (principal, claims.kid), ttl)
        return principal

    async def revoke(self, token: str, principal: AppPrincipal) -> None:
        """Revoke an app token (the one `principal` was authenticated from) before its expiry."""
        claims = await self._verified(token, kind=None)
        expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
        async with self.database.unit_of_work() as session:
            await auth_repository.revoke_token(session, principal.app_id, claims.jti, expires_at)
        self._principals.discard(token)
        self._tokens.discard(token)

    async def basic(self, encoded: str, address: str) -> AppPrincipal:
        """`base64(client_id:secret)` is generic; `base64(client_id:secret:user_guid)` is user-level."""
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidCredentials("The Basic credentials are not valid base64.") from exc
        parts = decoded.split(":")
        if len(parts) not in (2, 3) or not all(parts) or not is_storable(decoded):
            raise InvalidCredentials("Basic credentials are client_id:client_secret[:user_guid].")
        client = await self.check_client(parts[0], parts[1], address)
        if len(parts) == 2:
            return AppPrincipal(kind=TokenKind.generic, client=client, scopes=client.scopes)
        return AppPrincipal(
            kind=TokenKind.user,
            client=client,
            scopes=client.scopes,
            organization="default",
            user_field="guid",
            user=parts[2],
        )

    async def dashboard(self, token: str, address: str) -> DeveloperPrincipal:
        """The developer of a dashboard session presented from `address`, within the failure limit."""
        await self.throttle.before_check(address)
        try:
            claims = await self._verified(token, kind=TokenKind.dashboard)
        except InvalidToken:
            await self.throttle.failed(address)
            raise
        return DeveloperPrincipal(developer_id=uuid.UUID(claims.subject), expires_at=claims.expires_at)

    async def _verified(self, token: str, *, kind: TokenKind | None) -> TokenClaims:
        cached = self._tokens.get(token)
        if cached is not None and cached.kid in self.ring.keys and cached.expires_at > time.time():
            wanted = cached.kind is kind if kind is not None else cached.kind is not TokenKind.dashboard
            if wanted:
                return cached
        claims = await self._verify_fresh(token, kind)
        ttl = min(claims.expires_at - time.time(), self.settings.auth_cache_ttl_s)
        self._tokens.put(token, claims, ttl)
        return claims

    async def _verify_fresh(self, token: str, kind: TokenKind | None) -> TokenClaims:
        settings = self.settings
        try:
            try:
                return verify(
                    await self.current_ring(),
                    token,
                    issuer=settings.base_url,
                    audience=settings.token_audience,
                    kind=kind,
                )
            except UnknownKeyError:
                now = time.monotonic()
                if now - self._unknown_kid_reload_at < UNKNOWN_KID_RELOAD_S:
                    raise  # made-up kids cannot make us reload more than once a second
                self._unknown_kid_reload_at = now
                await self.reload_ring()  # a key rotated in another process
                return verify(
                    self.ring, token, issuer=settings.base_url, audience=settings.token_audience, kind=kind
                )
        except ExpiredTokenError as exc:
            raise ExpiredToken() from exc
        except InvalidTokenError as exc:
            raise InvalidToken() from exc
