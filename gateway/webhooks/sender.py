"""One HTTP attempt at a webhook: POST the stored bytes, never follow redirects, classify the answer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from gateway.metrics.definitions import WEBHOOK_ATTEMPT_DURATION, WEBHOOK_ATTEMPTS
from gateway.models.base import utcnow
from gateway.outbound.transport import AddressRefused
from gateway.webhooks.uris import UnusableWebhookUri, parse_webhook_uri

DELIVERED_STATUSES = frozenset({200, 201, 202, 203, 204})
RESPONSE_EXCERPT_CHARS = 2048
TIMED_OUT = "timed out"


@dataclass(frozen=True)
class AttemptResult:
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    refused: bool = False  # the SSRF guard refused the address: retrying cannot help

    @property
    def succeeded(self) -> bool:
        return self.status_code in DELIVERED_STATUSES


async def post_webhook(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> AttemptResult:
    """POST once. Only 200-204 count as delivered; redirects, other statuses, errors and timeouts fail.
    A URI the configuration parser would refuse, or a host that resolves to a refused address, fails
    for good (`refused`): retrying cannot help. Counted in `linkgate_webhook_attempts_total`."""
    clock = time.perf_counter()
    result = await _post(client, url, body, headers)
    outcome = metric_outcome(result)
    WEBHOOK_ATTEMPTS.labels(outcome).inc()
    WEBHOOK_ATTEMPT_DURATION.labels(outcome).observe(time.perf_counter() - clock)
    return result


def metric_outcome(result: AttemptResult) -> str:
    """delivered, rejected (answered with another status), timeout, error (no answer) or refused."""
    if result.refused:
        return "refused"
    if result.status_code is not None:
        return "delivered" if result.succeeded else "rejected"
    return "timeout" if result.error == TIMED_OUT else "error"


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    started_at, clock = utcnow(), time.perf_counter()
    try:
        response = await client.post(parse_webhook_uri(url).url, content=body, headers=headers)
    except UnusableWebhookUri as exc:
        reason = f"refused: the URI is not usable: {exc}"[:1000]
        return AttemptResult(started_at, _elapsed_ms(clock), None, reason, None, refused=True)
    except AddressRefused as exc:
        reason = f"refused: {exc}"[:1000]
        return AttemptResult(started_at, _elapsed_ms(clock), None, reason, None, refused=True)
    except httpx.TimeoutException:
        return AttemptResult(started_at, _elapsed_ms(clock), None, TIMED_OUT, None)
    except httpx.HTTPError as exc:
        return AttemptResult(
            started_at, _elapsed_ms(clock), None, f"{type(exc).__name__}: {exc}"[:1000], None
        )
    excerpt = response.text[:RESPONSE_EXCERPT_CHARS]
    error = None if response.status_code in DELIVERED_STATUSES else f"HTTP {response.status_code}"
    return AttemptResult(started_at, _elapsed_ms(clock), response.status_code, error, excerpt)


def _elapsed_ms(clock: float) -> int:
    return int((time.perf_counter() - clock) * 1000)
