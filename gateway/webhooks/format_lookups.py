"""What webhook formats need from the database, asked by the webhook service.

`subscribed_destination` names a callback the app subscribed for an event through a format's own API
(Yodlee's `/configs/notifications/events`), asked before the app's configured URI.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from formats.registry import WEBHOOK_FORMATS


async def subscribed_destination(
    session: AsyncSession, app_id: uuid.UUID, event_type: str
) -> tuple[str, str] | None:
    """`(url, format)` of a subscription the app made through a format's own API for this event."""
    for name, webhook_format in WEBHOOK_FORMATS.items():
        lookup = getattr(webhook_format, "subscribed_url", None)
        url = await lookup(session, app_id, event_type) if lookup is not None else None
        if url is not None:
            return url, name
    return None
