"""Rate limits on credential checks and on API calls, per client address and per client_id.

Failed checks are limited tightly. An address that failed LINKGATE_RATE_LIMIT_FAILURES_PER_ADDRESS
times in the current window has every credential it presents refused with 429 before it is checked
(a bearer token this process has already verified and cached is served without a check). The count is
read before a check and raised after it fails, so guesses sent at the same instant over many
connections can pass the limit by about that many before they are counted; IPv6 callers are counted
by their /64.
A client_id that failed LINKGATE_RATE_LIMIT_FAILURES_PER_CLIENT times (from anywhere) is refused only
to addresses that have failed too: from then on a botnet guessing that client's secret gets one try
per address, while the client's own servers, which do not fail, keep working. (A plain per-client
lockout would let anyone who knows a client_id lock its owner out.) Expired tokens are not failures.

Calls are limited generously: every request per address (`AddressRateLimitMiddleware`), every
authenticated call per client_id (`CredentialThrottle.admit`).
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.client_address import IPNetwork, client_address
from gateway.errors import RateLimited
from gateway.ratelimit import RateLimiter, SettlingRateLimiter
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.exception_handlers import ErrorResponder

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_LONGEST_KEYED_CLIENT_ID = 64


def too_many(retry_after_s: int, limit: str, what: str = "requests") -> RateLimited:
    return RateLimited(
        f"Too many {what}; try again in {retry_after_s} s.",
        limit=limit,
        headers={"Retry-After": str(retry_after_s)},
    )


def address_of(request: Request, trusted_proxies: tuple[IPNetwork, ...]) -> str:
    """The caller's address as a rate-limit key (behind trusted proxies, the forwarded client). An IPv6
    caller is keyed by its /64: one host is usually given a whole /64, and could rotate through it."""
    address = client_address(request, trusted_proxies)
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _client_key(client_id: str) -> str:
    # Made-up ids may be long; a digest keeps keys short without merging real ids.
    if len(client_id) > _LONGEST_KEYED_CLIENT_ID:
        client_id = "sha256:" + hashlib.sha256(client_id.encode()).hexdigest()
    return client_id


class CredentialThrottle:
    """Counts failed credential checks and authenticated calls; refuses what is over its limit."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        self.calls = SettlingRateLimiter(limiter)  # every request counts: settled in batches
        self.settings = settings

    @property
    def window_s(self) -> int:
        return self.settings.rate_limit_window_s

    async def before_check(self, address: str, client_id: str | None = None) -> None:
        """Raise RateLimited if this address, or this client_id for this address, may not try now."""
        if not self.settings.rate_limits_enabled:
            return
        failures, retry_after = await self.limiter.count(f"fail:address:{address}", window_s=self.window_s)
        if failures >= self.settings.rate_limit_failures_per_address:
            raise too_many(retry_after, "failures_per_address", "failed credential checks from this address")
        if client_id is None or failures == 0:
            return
        client_failures, retry_after = await self.limiter.count(
            f"fail:client:{_client_key(client_id)}", window_s=self.window_s
        )
        if client_failures >= self.settings.rate_limit_failures_per_client:
            raise too_many(retry_after, "failures_per_client", "failed credential checks for this client_id")

    async def failed(self, address: str, client_id: str | None = None) -> None:
        """Count one failed check against the address and, when one was named, the client_id."""
        if not self.settings.rate_limits_enabled:
            return
        keys = [f"fail:address:{address}"]
        if client_id is not None:
            keys.append(f"fail:client:{_client_key(client_id)}")
        for key in keys:
            await self.limiter.hit(key, limit=0, window_s=self.window_s)

    async def admit(self, client_id: str) -> None:
        """Count one authenticated call by this client_id; RateLimited past its generous limit."""
        limit = self.settings.rate_limit_requests_per_client
        await self._count(self.calls, f"requests:client:{client_id}", limit, "requests_per_client")

    async def signup(self, address: str) -> None:
        """Count one signup from this address (each costs a slow password hash)."""
        limit = self.settings.rate_limit_signups_per_address
        await self._count(
            self.limiter,
            f"signup:address:{address}",
            limit,
            "signups_per_address",
            "signups from this address",
        )

    async def request(self, address: str) -> None:
        """Count one request from this address; RateLimited past its generous limit."""
        limit = self.settings.rate_limit_requests_per_address
        await self._count(self.calls, f"requests:address:{address}", limit, "requests_per_address")

    async def _count(
        self, limiter: RateLimiter, key: str, limit: int, name: str, what: str = "requests"
    ) -> None:
        if not self.settings.rate_limits_enabled:
            return
        verdict = await limiter.hit(key, limit=limit, window_s=self.window_s)
        if not verdict.allowed:
            raise too_many(verdict.retry_after_s, name, what)


class AddressRateLimitMiddleware:
    """Every request (health probes aside) counts against its address; over the limit, 429 in the
    caller's format with Retry-After."""

    def __init__(self, app: ASGIApp, *, render_error: ErrorResponder) -> None:
        self.app = app
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        state = getattr(scope["app"].state, "linkgate", None)
        if state is None:  # no lifespan has run (an app driven bare, as bench/middleware_overhead does)
            await self.app(scope, receive, send)
            return
        try:
            await state.auth.throttle.request(address_of(Request(scope), state.trusted_proxies))
        except RateLimited as refused:
            await self.render_error(scope, refused)(scope, receive, send)
            return
        await self.app(scope, receive, send)
