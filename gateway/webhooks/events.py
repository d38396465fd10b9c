"""Webhook events are written in the same transaction as the change they describe."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.webhook import WebhookEvent


def record_event(
    session: AsyncSession,
    *,
    app_id: uuid.UUID,
    link_id: uuid.UUID | None,
    event_type: str,
    payload: dict[str, Any],
) -> None:
    session.add(WebhookEvent(app_id=app_id, link_id=link_id, event_type=event_type, payload=payload))
