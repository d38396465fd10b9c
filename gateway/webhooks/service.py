"""Webhook rules: a delivery is a committed row before anything is sent; each attempt is recorded.

An event goes to its link's own webhook (in the format of the collection that set it) or else to the
app's configured URI in the app's format. The body is rendered once, when the delivery is created, so
every retry sends the same bytes with the same `webhook-id`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.db import Database, enqueue_after_commit
from gateway.models.base import utcnow
from gateway.models.developer import AppConfiguration
from gateway.models.link import Link
from gateway.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEvent
from gateway.settings import Settings
from gateway.webhooks.endpoint_slots import EndpointSlots, endpoint_of
from gateway.webhooks.formats import EventView, SendContext, get_format
from gateway.webhooks.key_ring import RingCache
from gateway.webhooks.repository import webhook_delivery_repository
from gateway.webhooks.secrets import webhook_secrets
from gateway.webhooks.sender import post_webhook
from gateway.webhooks.signing import standard_webhook_signature
from workers.durable import Deferred, DurableKind, Failed, Outcome, RetryLater, Succeeded
from workers.names import DELIVER_WEBHOOK

WEBHOOK_DELIVERIES = DurableKind(
    name="webhook_delivery",
    model=WebhookDelivery,
    task_name=DELIVER_WEBHOOK,
    max_attempts=lambda settings: 1 + settings.webhook_max_retries,
)
DEFAULT_LINK_WEBHOOK_FORMAT = "moneykit"
# How soon a delivery whose endpoint has no free slot looks again.
ENDPOINT_BUSY_DELAY_S = 1.0


@dataclass(frozen=True)
class Destination:
    url: str
    format: str


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookService:
    async def destination(
        self, session: AsyncSession, app_id: uuid.UUID, link: Link | None
    ) -> Destination | None:
        """The link's own webhook if it has one, else the app's configured URI; None when neither is set."""
        if link is not None and link.webhook_uri:
            return Destination(link.webhook_uri, link.webhook_format or DEFAULT_LINK_WEBHOOK_FORMAT)
        configuration = await session.get(AppConfiguration, app_id)
        if configuration is None or not configuration.webhook_uri:
            return None
        return Destination(configuration.webhook_uri, configuration.webhook_format)

    async def deliver_event(
        self,
        session: AsyncSession,
        event: WebhookEvent,
        link: Link | None,
        *,
        trigger: str = "event",
        idempotency_key: str | None = None,
    ) -> WebhookDelivery | None:
        """A delivery of `event` to its destination, rendered in the destination's format."""
        destination = await self.destination(session, event.app_id, link)
        webhook_format = get_format(destination.format) if destination is not None else None
        if destination is None or webhook_format is None:
            return None
        webhook_id = new_webhook_id()
        view = EventView(
            event_id=event.id,
            event_type=event.event_type,
            payload=event.payload,
            occurred_at=event.created_at,
            link_id=event.link_id,
            link_tags=list(link.tags) if link is not None else [],
        )
        body = webhook_format.render(view, idempotency_key or webhook_id)
        if body is None:
            return None
        return await self.create_delivery(
            session,
            app_id=event.app_id,
            url=destination.url,
            body=orjson.dumps(body).decode(),
            format=destination.format,
            event_id=event.id,
            link_id=event.link_id,
            event_type=event.event_type,
            trigger=trigger,
            webhook_id=webhook_id,
        )

    async def create_delivery(
        self,
        session: AsyncSession,
        *,
        app_id: uuid.UUID,
        url: str,
        body: str,
        format: str,
        event_id: uuid.UUID | None = None,
        link_id: uuid.UUID | None = None,
        event_type: str | None = None,
        trigger: str = "event",
        webhook_id: str | None = None,
    ) -> WebhookDelivery:
        """Store a delivery and send its first attempt as soon as the transaction commits."""
        now = utcnow()
        delivery = WebhookDelivery(
            app_id=app_id,
            event_id=event_id,
            link_id=link_id,
            event_type=event_type,
            trigger=trigger,
            webhook_id=webhook_id or new_webhook_id(),
            url=url,
            format=format,
            body=body,
            status="pending",
            next_run_at=now,
            enqueued_for=now,
        )
        await webhook_delivery_repository.add(session, delivery)
        enqueue_after_commit(session, WEBHOOK_DELIVERIES.task_for(delivery.id))
        return delivery

    async def attempt(
        self,
        database: Database,
        http: httpx.AsyncClient,
        settings: Settings,
        rings: RingCache,
        slots: EndpointSlots,
        delivery_id: uuid.UUID,
        attempt_number: int,
    ) -> Outcome:
        """Send one attempt of a claimed delivery, signed, and record it; the caller finishes the row."""
        box = SecretBox(settings.master_key())
        async with database.unit_of_work() as session:
            delivery = await webhook_delivery_repository.get_to_send(session, delivery_id)
            if delivery is None:
                return Failed("delivery no longer exists")
            secrets = (await webhook_secrets.get(session, box, delivery.app_id)).active(utcnow())
        body, timestamp = delivery.body.encode(), int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_webhook_signature(secrets, delivery.webhook_id, timestamp, body),
        }
        webhook_format = get_format(delivery.format)
        if webhook_format is not None:
            ring = await rings.current(database, box)
            context = SendContext(
                delivery.webhook_id, attempt_number, body, ring, settings.base_url.rstrip("/")
            )
            headers |= webhook_format.headers(context)
        async with slots.hold(endpoint_of(delivery.url)) as held:
            if not held:
                return Deferred(ENDPOINT_BUSY_DELAY_S, "waiting for a free slot at the endpoint")
            result = await post_webhook(http, delivery.url, body, headers)
        async with database.unit_of_work() as session:
            await webhook_delivery_repository.record_attempt(
                session,
                WebhookAttempt(
                    app_id=delivery.app_id,
                    delivery_id=delivery.id,
                    attempt_number=attempt_number,
                    started_at=result.started_at,
                    duration_ms=result.duration_ms,
                    status_code=result.status_code,
                    succeeded=result.succeeded,
                    error=result.error,
                    response_excerpt=result.response_excerpt,
                ),
            )
        if result.succeeded:
            return Succeeded()
        if result.refused:
            return Failed(result.error or "refused")
        return RetryLater(settings.webhook_retry_delay_s, result.error or "not delivered")


webhook_service = WebhookService()
