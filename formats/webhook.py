"""The webhook format protocol: what a format renders for an event, and which headers it adds when sent.

A format may have no rendering for an event; then nothing is sent for it in that format. What a body
needs beyond the event (the app's mode, the user's ids) is looked up by the gateway before rendering
(`gateway.webhooks.format_lookups`) and handed to `render` as `EventView.context`, a plain value the
format describes (its `*EventContext`). Formats never take a database session.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class EventView:
    """What a renderer may read of an event and of its link."""

    event_id: uuid.UUID | None
    event_type: str
    payload: dict[str, Any]
    occurred_at: datetime
    link_id: uuid.UUID | None
    link_tags: list[str]
    # What was looked up for this format's bodies (the app's mode, the user's ids, ...).
    context: Mapping[str, Any] = field(default_factory=dict)


class SigningKey(Protocol):
    """The key a format signs with, named by `kid` in what it signs."""

    @property
    def kid(self) -> str: ...

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey: ...


class KeySource(Protocol):
    """Where the active signing key comes from (the gateway's key ring)."""

    def signing_key(self) -> SigningKey: ...


@dataclass(frozen=True)
class SendContext:
    """What a format may sign when one attempt is sent."""

    webhook_id: str
    attempt: int
    body: bytes
    ring: KeySource
    issuer: str


class WebhookFormat(Protocol):
    name: str

    def render(self, event: EventView, idempotency_key: str) -> dict[str, Any] | None:
        """The body for `event`, or None when this format has no such webhook."""
        ...

    def headers(self, context: SendContext) -> dict[str, str]:
        """Format-specific headers for one attempt (signatures, delivery tokens)."""
        ...
