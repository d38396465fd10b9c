"""Authentication failures and rate-limit refusals, counted where every refusal is answered: the error
renderers (gateway/exception_handlers.py), whichever guard, middleware or service refused."""

from __future__ import annotations

from gateway.errors import Forbidden, GatewayError, RateLimited, Unauthenticated
from gateway.metrics.definitions import AUTH_FAILURES, RATE_LIMITED
from gateway.metrics.labels import OTHER

# The codes of Unauthenticated and of the credential-related Forbidden errors (gateway/errors.py,
# gateway/links/connect.py).
AUTH_FAILURE_REASONS = frozenset({
    "unauthenticated", "invalid_token", "expired_token", "invalid_credentials", "link_session_invalid",
    "wrong_token_kind", "insufficient_scope", "ip_not_allowed",
})  # fmt: skip
RATE_LIMITS = frozenset({
    "failures_per_address", "failures_per_client", "requests_per_address", "requests_per_client",
    "signups_per_address", "login_attempts", "refreshes_per_day", "upstream_refresh_budget",
})  # fmt: skip


def count_refusal(error: GatewayError) -> None:
    """Count `error` if it refuses credentials or a rate limit; other errors are not counted here."""
    if isinstance(error, RateLimited):
        RATE_LIMITED.labels(error.limit if error.limit in RATE_LIMITS else OTHER).inc()
    elif isinstance(error, Unauthenticated) or (
        isinstance(error, Forbidden) and error.code in AUTH_FAILURE_REASONS
    ):
        AUTH_FAILURES.labels(error.code if error.code in AUTH_FAILURE_REASONS else OTHER).inc()
