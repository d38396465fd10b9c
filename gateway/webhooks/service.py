"""Webhook rules: a delivery is a committed row before anything is sent (gateway.webhooks.delivery sends).

An event goes to its link's own webhook (in the format of the collection that set it), else to a
callback the app subscribed for it through a format's own API (Yodlee), else to the app's configured
URI in the app's format. The body is rendered once, when the delivery is created, so
every retry sends the same bytes with the same `webhook-id`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from formats.registry import get_format
from formats.webhook import EventView
from gateway.db import enqueue_after_commit
from gateway.models.base import utcnow
from gateway.models.developer import AppConfiguration
from gateway.models.link import Link
from gateway.models.webhook import WebhookDelivery, WebhookEvent
from gateway.webhooks.format_lookups import event_context, subscribed_destination
from gateway.webhooks.repository import webhook_delivery_repository
from workers.durable import DurableKind
from workers.names import DELIVER_WEBHOOK

WEBHOOK_DELIVERIES = DurableKind(
    name="webhook_delivery",
    model=WebhookDelivery,
    task_name=DELIVER_WEBHOOK,
    max_attempts=lambda settings: 1 + settings.webhook_max_retries,
    batch_limit=100,
)
DEFAULT_LINK_WEBHOOK_FORMAT = "moneykit"


@dataclass(frozen=True)
class Destination:
    url: str
    format: str


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookService:
    async def destination(
        self, session: AsyncSession, app_id: uuid.UUID, link: Link | None, event_type: str | None = None
    ) -> Destination | None:
        """The link's own webhook if it has one, else a subscription for `event_type`, else the app's
        configured URI; None when none is set."""
        if link is not None and link.webhook_uri:
            return Destination(link.webhook_uri, link.webhook_format or DEFAULT_LINK_WEBHOOK_FORMAT)
        subscribed = await subscribed_destination(session, app_id, event_type) if event_type else None
        if subscribed is not None:
            return Destination(*subscribed)
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
        destination = await self.destination(session, event.app_id, link, event.event_type)
        webhook_format = get_format(destination.format) if destination is not None else None
        if destination is None or webhook_format is None:
            return None
        webhook_id = new_webhook_id()
        context = await event_context(session, destination.format, event, link)
        view = EventView(
            event_id=event.id,
            event_type=event.event_type,
            payload=event.payload,
            occurred_at=event.created_at,
            link_id=event.link_id,
            link_tags=list(link.tags) if link is not None else [],
            context=context,
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


webhook_service = WebhookService()
