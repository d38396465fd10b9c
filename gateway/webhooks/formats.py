"""Webhook wire formats: how a unified event is rendered, and which headers a format adds when sent.

Each collection registers its format here: MoneyKit, Plaid, MX and Yodlee.
A format may have no rendering for an event; then nothing is sent for it in that format.

`prepare(session, event, link)` looks up what a format's bodies need beyond the event (the app's mode,
the user's ids), which `render` reads as `EventView.context`. One optional hook,
`subscribed_url(session, app_id, event_type)`, names a callback the app subscribed through the
format's own API (Yodlee's `/configs/notifications/events`), asked before the app's configured URI.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.signing_keys import KeyRing
from gateway.models.link import Link
from gateway.models.webhook import WebhookEvent


@dataclass(frozen=True)
class EventView:
    """What a renderer may read of an event and of its link."""

    event_id: uuid.UUID | None
    event_type: str
    payload: dict[str, Any]
    occurred_at: datetime
    link_id: uuid.UUID | None
    link_tags: list[str]
    # What the format's own `prepare` looked up for it (the app's mode, the user's ids, ...).
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendContext:
    """What a format may sign when one attempt is sent."""

    webhook_id: str
    attempt: int
    body: bytes
    ring: KeyRing
    issuer: str


class WebhookFormat(Protocol):
    name: str

    async def prepare(
        self, session: AsyncSession, event: WebhookEvent, link: Link | None
    ) -> Mapping[str, Any]:
        """What `render` will read as `event.context`, looked up once when the delivery is created."""
        ...

    def render(self, event: EventView, idempotency_key: str) -> dict[str, Any] | None:
        """The body for `event`, or None when this format has no such webhook."""
        ...

    def headers(self, context: SendContext) -> dict[str, str]:
        """Format-specific headers for one attempt (signatures, delivery tokens)."""
        ...


_FORMATS: dict[str, WebhookFormat] = {}


def register_format(webhook_format: WebhookFormat) -> None:
    _FORMATS[webhook_format.name] = webhook_format


def get_format(name: str) -> WebhookFormat | None:
    _load_builtin_formats()
    return _FORMATS.get(name)


async def subscribed_destination(
    session: AsyncSession, app_id: uuid.UUID, event_type: str
) -> tuple[str, str] | None:
    """`(url, format)` of a subscription the app made through a format's own API for this event."""
    _load_builtin_formats()
    for name, webhook_format in _FORMATS.items():
        lookup = getattr(webhook_format, "subscribed_url", None)
        url = await lookup(session, app_id, event_type) if lookup is not None else None
        if url is not None:
            return url, name
    return None


def _load_builtin_formats() -> None:
    if not _FORMATS:
        from formats.moneykit.webhooks import MONEYKIT_WEBHOOKS
        from formats.mx.webhooks import MX_WEBHOOKS
        from formats.plaid.webhooks import PLAID_WEBHOOKS
        from formats.yodlee.webhooks import YODLEE_WEBHOOKS

        register_format(MONEYKIT_WEBHOOKS)
        register_format(PLAID_WEBHOOKS)
        register_format(MX_WEBHOOKS)
        register_format(YODLEE_WEBHOOKS)
