"""Sending claimed deliveries: signed, at most a few at a time per endpoint, every attempt recorded.

A worker task carries up to `WEBHOOK_DELIVERIES.batch_limit` deliveries (those committed together):
they are claimed in one statement, sent concurrently across endpoints and over up to `LANES` of each
endpoint's slots, and recorded and finished in one transaction.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx

from formats.registry import get_format
from formats.webhook import SendContext
from gateway.crypto import SecretBox
from gateway.db import Database
from gateway.models.base import utcnow
from gateway.settings import Settings
from gateway.webhooks.endpoint_slots import EndpointSlots, endpoint_of
from gateway.webhooks.key_ring import RingCache
from gateway.webhooks.repository import DeliveryToSend, webhook_delivery_repository
from gateway.webhooks.secrets import webhook_secrets
from gateway.webhooks.sender import AttemptResult, post_webhook
from gateway.webhooks.service import WEBHOOK_DELIVERIES
from gateway.webhooks.signing import standard_webhook_signature
from workers.durable import Deferred, Failed, Outcome, RetryLater, Succeeded, claim_many, finish_many

# How soon a delivery whose endpoint has no free slot looks again.
ENDPOINT_BUSY_DELAY_S = 1.0
# Stop starting attempts this long before the claim's lease would run out mid-request.
LEASE_MARGIN_S = 0.25
# Concurrent requests one batch may make to one endpoint, within the endpoint's slots.
LANES = 4
# A batch whose endpoint has no free slot waits this long for one before putting its deliveries back.
SLOT_WAIT_S = 2.0
SLOT_POLL_S = 0.01


@dataclass(frozen=True)
class Claimed:
    row: DeliveryToSend
    attempt: int
    secrets: list[str]


@dataclass
class Sent:
    outcome: Outcome
    result: AttemptResult | None = None


class WebhookDeliverer:
    def __init__(
        self,
        database: Database,
        http: httpx.AsyncClient,
        settings: Settings,
        rings: RingCache,
        slots: EndpointSlots,
    ) -> None:
        self.database = database
        self.http = http
        self.settings = settings
        self.rings = rings
        self.slots = slots
        self.box = SecretBox(settings.master_key())

    async def deliver(self, delivery_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Outcome]:
        """Claim what is due among `delivery_ids`, send it, record and finish it; the outcome of each."""
        claimed, deadline = await self._claim(delivery_ids)
        if not claimed:
            return {}
        by_endpoint: dict[str, list[Claimed]] = defaultdict(list)
        for item in claimed:
            by_endpoint[endpoint_of(item.row.url)].append(item)
        sent: dict[uuid.UUID, Sent] = {}
        await asyncio.gather(
            *(self._send_endpoint(e, items, deadline, sent) for e, items in by_endpoint.items())
        )
        await self._record(claimed, sent)
        return {row_id: s.outcome for row_id, s in sent.items()}

    async def _claim(self, delivery_ids: Sequence[uuid.UUID]) -> tuple[list[Claimed], float]:
        lease_s = self.settings.job_lease_s
        async with self.database.unit_of_work() as session:
            attempts = await claim_many(session, WEBHOOK_DELIVERIES, delivery_ids, lease_s)
            rows = await webhook_delivery_repository.to_send(session, list(attempts)) if attempts else []
            now = utcnow()
            secrets = {app_id: (await webhook_secrets.get(session, self.box, app_id)).active(now)
                       for app_id in {row.app_id for row in rows}}  # fmt: skip
        deadline = time.monotonic() + lease_s - self.settings.webhook_timeout_s - LEASE_MARGIN_S
        return [Claimed(row, attempts[row.id], secrets[row.app_id]) for row in rows], deadline

    async def _send_endpoint(
        self, endpoint: str, items: list[Claimed], deadline: float, sent: dict[uuid.UUID, Sent]
    ) -> None:
        """Send one endpoint's deliveries over as many of its slots as are free (up to `LANES`)."""
        max_attempts = WEBHOOK_DELIVERIES.max_attempts(self.settings)
        waiting: deque[Claimed] = deque()
        for item in items:
            if item.attempt > max_attempts:
                sent[item.row.id] = Sent(Failed("attempts exhausted: the last attempt's worker was lost"))
            else:
                waiting.append(item)
        async with AsyncExitStack() as slots:
            lanes, wanted = 0, min(len(waiting), LANES)
            wait_until = min(time.monotonic() + SLOT_WAIT_S, deadline)
            while waiting:
                while lanes < wanted and await slots.enter_async_context(self.slots.hold(endpoint)):
                    lanes += 1
                if lanes or time.monotonic() >= wait_until:
                    break
                await asyncio.sleep(SLOT_POLL_S)  # the endpoint is busy with other batches: wait a little
            await asyncio.gather(*(self._lane(waiting, deadline, sent) for _ in range(lanes)))
        busy = Deferred(ENDPOINT_BUSY_DELAY_S, "waiting for a free slot at the endpoint")
        for item in waiting:  # no slot came free for these
            sent[item.row.id] = Sent(busy)

    async def _lane(self, waiting: deque[Claimed], deadline: float, sent: dict[uuid.UUID, Sent]) -> None:
        while waiting:
            item = waiting.popleft()
            if time.monotonic() > deadline:
                sent[item.row.id] = Sent(Deferred(0.0, "the batch ran out of lease time"))
                continue
            body = item.row.body.encode()
            result = await post_webhook(self.http, item.row.url, body, await self._headers(item))
            sent[item.row.id] = Sent(self._outcome(result), result)

    async def _headers(self, item: Claimed) -> dict[str, str]:
        row, body, timestamp = item.row, item.row.body.encode(), int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": row.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_webhook_signature(item.secrets, row.webhook_id, timestamp, body),
        }
        webhook_format = get_format(row.format)
        if webhook_format is not None:
            ring = await self.rings.current(self.database, self.box)
            issuer = self.settings.base_url.rstrip("/")
            headers |= webhook_format.headers(SendContext(row.webhook_id, item.attempt, body, ring, issuer))
        return headers

    def _outcome(self, result: AttemptResult) -> Outcome:
        if result.succeeded:
            return Succeeded()
        if result.refused:
            return Failed(result.error or "refused")
        return RetryLater(self.settings.webhook_retry_delay_s, result.error or "not delivered")

    async def _record(self, claimed: list[Claimed], sent: dict[uuid.UUID, Sent]) -> None:
        attempted = [
            (item, sent[item.row.id].result) for item in claimed if sent[item.row.id].result is not None
        ]
        async with self.database.unit_of_work() as session:
            await webhook_delivery_repository.record_attempts(
                session,
                [(item.row, item.attempt, result) for item, result in attempted if result is not None],
            )
            outcomes = [(item.row.id, item.attempt, sent[item.row.id].outcome) for item in claimed]
            await finish_many(session, WEBHOOK_DELIVERIES, outcomes, self.settings)
