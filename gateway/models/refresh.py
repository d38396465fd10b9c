"""Refresh jobs: durable requests to pull a link's products from its provider."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, DurableWorkMixin, IdMixin, JSONType, TenantMixin, TimestampMixin


class RefreshJob(IdMixin, TenantMixin, DurableWorkMixin, TimestampMixin, Base):
    __tablename__ = "refresh_jobs"
    __table_args__ = (Index("ix_refresh_jobs_due", "status", "next_run_at"),)

    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), index=True, nullable=False
    )
    products: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), default="manual", nullable=False)
