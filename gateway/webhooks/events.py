"""Webhook events are written in the same transaction as the change they describe, with their delivery."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.link import Link
from gateway.models.webhook import WebhookDelivery, WebhookEvent
from gateway.webhooks.service import webhook_service


async def publish_event(
    session: AsyncSession, *, app_id: uuid.UUID, link: Link | None, event_type: str, payload: dict[str, Any]
) -> WebhookEvent:
    """Store the event and, if the link or app has a webhook, its delivery (sent once this commits)."""
    event = WebhookEvent(app_id=app_id, link_id=link.id if link is not None else None, event_type=event_type,
                         payload=payload)  # fmt: skip
    session.add(event)
    await session.flush()
    await webhook_service.deliver_event(session, event, link)
    return event


async def send_test_event(
    session: AsyncSession, link: Link, event_type: str, payload: dict[str, Any], *,
    idempotency_key: str | None = None,
) -> WebhookDelivery | None:  # fmt: skip
    """A sandbox test event for `link`, stored and delivered like any other (trigger `test`); None when
    the link has no webhook, or none whose format has this event."""
    event = WebhookEvent(app_id=link.app_id, link_id=link.id, event_type=event_type, payload=payload)
    session.add(event)
    await session.flush()
    return await webhook_service.deliver_event(
        session, event, link, trigger="test", idempotency_key=idempotency_key
    )
