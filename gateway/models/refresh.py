"""Durable work with upstreams: refresh jobs (pull a link's products) and disconnects (tell the upstream a
deleted link's connection is over)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
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


class UpstreamDisconnect(IdMixin, TenantMixin, DurableWorkMixin, TimestampMixin, Base):
    """Telling the upstream a deleted link's connection is over (Plaid's `/item/remove`, which stops
    its billing), as durable work: the link's sealed connection state moves here when it is deleted and
    is wiped once the upstream heard it (or will never hear it)."""

    __tablename__ = "upstream_disconnects"
    __table_args__ = (Index("ix_upstream_disconnects_due", "status", "next_run_at"),)

    # No foreign key: the link record is purged after its retention, this row may outlive it.
    link_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
