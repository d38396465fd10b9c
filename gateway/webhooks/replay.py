"""Sending ended webhook deliveries again (`linkgate webhooks replay`), after a receiver's outage.

Each delivery of the app that ended in the window (failed by default) is sent again as a new delivery:
the same bytes to the same URL, with a new `webhook-id` (ids are unique per delivery) and the trigger
`replay`. It goes the durable way every delivery goes: a row first, its first attempt as soon as the
transaction commits, retries as configured, and the sweeper if the broker lost the task.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.webhook import WebhookDelivery
from gateway.webhooks.repository import webhook_delivery_repository
from gateway.webhooks.service import webhook_service

EndedStatus = Literal["failed", "succeeded"]
REPLAY_TRIGGER = "replay"


@dataclass(frozen=True)
class ReplayWindow:
    app_id: uuid.UUID
    since: datetime
    until: datetime | None = None
    statuses: tuple[EndedStatus, ...] = ("failed",)
    limit: int = 1000


async def ended_deliveries(session: AsyncSession, window: ReplayWindow) -> list[WebhookDelivery]:
    """The app's deliveries that ended in the window with one of its statuses, oldest first."""
    return await webhook_delivery_repository.ended(
        session, window.app_id, statuses=window.statuses, since=window.since, until=window.until,
        limit=window.limit,
    )  # fmt: skip


async def replay(
    session: AsyncSession, window: ReplayWindow
) -> list[tuple[WebhookDelivery, WebhookDelivery]]:
    """Send each ended delivery again; returns (ended, new) pairs. The new deliveries are sent once the
    caller's transaction commits."""
    pairs = []
    for ended in await ended_deliveries(session, window):
        again = await webhook_service.create_delivery(
            session, app_id=ended.app_id, url=ended.url, body=ended.body, format=ended.format,
            event_id=ended.event_id, link_id=ended.link_id, event_type=ended.event_type,
            trigger=REPLAY_TRIGGER,
        )  # fmt: skip
        pairs.append((ended, again))
    return pairs
