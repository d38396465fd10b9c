"""Webhook events are written in the same transaction as the change they describe, with their delivery."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.link import Link
from gateway.models.webhook import WebhookEvent
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
