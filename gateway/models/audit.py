"""The audit log: one row per dashboard or configuration action, never changed once written.

Migration 0019 makes the table refuse UPDATE and DELETE (and, on Postgres, TRUNCATE) with triggers,
so an entry outlives even a bug in the code that wrote it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, IdMixin, JSONType, TenantMixin, UTCDateTime, utcnow


class AuditAction(StrEnum):
    """Every action the audit log records."""

    app_created = "app.created"
    key_created = "key.created"
    key_revoked = "key.revoked"
    organization_created = "organization.created"
    organization_deleted = "organization.deleted"
    configuration_updated = "configuration.updated"
    configuration_reset = "configuration.reset"
    webhook_uri_changed = "webhook_uri.changed"
    webhook_secret_rotated = "webhook_secret.rotated"
    provider_updated = "provider.updated"
    provider_credentials_set = "provider_credentials.set"
    provider_credentials_removed = "provider_credentials.removed"
    provider_reset = "provider.reset"


class AuditEntry(IdMixin, TenantMixin, Base):
    """Who did what to an app, when, in which request, and which fields changed (secrets masked).

    `actor_kind` is `developer` (a dashboard session: `actor_id` is the developer, `actor_name` their
    email) or `api_key` (a configuration route called with an app token: the key's id and client id).
    `subject` names what the action was on (a key's client id, an organization's id, a provider);
    `organization` is set when that is an organization.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_app_id_occurred_at", "app_id", "occurred_at"),)

    action: Mapped[str] = mapped_column(String(64), nullable=False)  # an AuditAction
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    actor_name: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(64))
    organization: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
