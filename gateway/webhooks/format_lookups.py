"""What webhook formats need from the database: the repository side of `formats/`' webhooks.

Formats are pure: they render a body from the event and a plain context value (their
`*EventContext`), and never take a session. The lookups those contexts need run here, once, when a
delivery is created; a format without a lookup gets an empty context. `subscribed_destination` names
a callback the app subscribed for an event through a format's own API (Yodlee's
`/configs/notifications/events`), asked before the app's configured URI.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from formats.mx.webhooks import MxEventContext
from formats.plaid.webhooks import PlaidEventContext
from gateway.collections.yodlee.subscriptions import subscribed_url
from gateway.collections.yodlee.webhook_context import yodlee_event_context
from gateway.models.developer import App
from gateway.models.end_user import EndUser
from gateway.models.link import Link
from gateway.models.webhook import WebhookEvent

ContextLookup = Callable[[AsyncSession, WebhookEvent, Link | None], Awaitable[Mapping[str, Any]]]
SubscriptionLookup = Callable[[AsyncSession, uuid.UUID, str], Awaitable[str | None]]


async def plaid_event_context(
    session: AsyncSession, event: WebhookEvent, link: Link | None
) -> PlaidEventContext:
    """Plaid bodies name their `environment`: the app's mode."""
    app = await session.get(App, event.app_id)
    return {"app_mode": app.mode if app is not None else "sandbox"}


async def mx_event_context(session: AsyncSession, event: WebhookEvent, link: Link | None) -> MxEventContext:
    """MX bodies name the member's user by its guid."""
    user = await session.get(EndUser, link.end_user_id) if link is not None else None
    return {"user_guid": user.guid if user is not None else None}


CONTEXT_LOOKUPS: dict[str, ContextLookup] = {
    "plaid": plaid_event_context,
    "mx": mx_event_context,
    "yodlee": yodlee_event_context,
}
SUBSCRIPTION_LOOKUPS: dict[str, SubscriptionLookup] = {"yodlee": subscribed_url}


async def event_context(
    session: AsyncSession, format_name: str, event: WebhookEvent, link: Link | None
) -> Mapping[str, Any]:
    """What `format_name`'s `render` reads as `EventView.context` for `event`."""
    lookup = CONTEXT_LOOKUPS.get(format_name)
    return await lookup(session, event, link) if lookup is not None else {}


async def subscribed_destination(
    session: AsyncSession, app_id: uuid.UUID, event_type: str
) -> tuple[str, str] | None:
    """`(url, format)` of a subscription the app made through a format's own API for this event."""
    for name, lookup in SUBSCRIPTION_LOOKUPS.items():
        url = await lookup(session, app_id, event_type)
        if url is not None:
            return url, name
    return None
