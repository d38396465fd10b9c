"""Webhook events, their deliveries (durable work) and every delivery attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import (
    Base,
    DurableWorkMixin,
    IdMixin,
    JSONType,
    TenantMixin,
    TimestampMixin,
    UTCDateTime,
)


class WebhookEvent(IdMixin, TenantMixin, TimestampMixin, Base):
    """Something a developer is told about, in the unified vocabulary, before any format is chosen."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_created_at", "created_at"),)

    link_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("links.id", ondelete="SET NULL"))
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)


class WebhookDelivery(IdMixin, TenantMixin, DurableWorkMixin, TimestampMixin, Base):
    """One event to one URL; the rendered body is stored so every retry sends the same bytes, and
    `webhook_id` is the same on every attempt (receivers deduplicate on it)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id"),
        Index("ix_webhook_deliveries_due", "status", "next_run_at"),
        Index("ix_webhook_deliveries_app_id_created_at", "app_id", "created_at"),
    )

    event_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    link_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("links.id", ondelete="SET NULL"))
    event_type: Mapped[str | None] = mapped_column(String(64))
    # What created it: an event, a developer's manual retry of an event, or a sandbox test trigger.
    trigger: Mapped[str] = mapped_column(String(16), default="event", nullable=False)
    webhook_id: Mapped[str] = mapped_column(String(64), nullable=False)
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(IdMixin, TenantMixin, Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "attempt_number"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False
    )
    attempt_number: Mapped[int] = mapped_column(nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    duration_ms: Mapped[int] = mapped_column(nullable=False)
    status_code: Mapped[int | None] = mapped_column()
    succeeded: Mapped[bool] = mapped_column(nullable=False)
    error: Mapped[str | None] = mapped_column(String(1000))
    response_excerpt: Mapped[str | None] = mapped_column(String(2048))
