"""End users: the developer's customers (MoneyKit customer_user, MX user, Yodlee user, Plaid user)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class EndUser(IdMixin, TenantMixin, TimestampMixin, Base):
    """`guid` is ours; `uid` and `external_id` are the developer's own identifiers, when given."""

    __tablename__ = "end_users"
    __table_args__ = (
        UniqueConstraint("app_id", "guid"),
        UniqueConstraint("app_id", "uid"),
        UniqueConstraint("app_id", "external_id"),
    )

    guid: Mapped[str] = mapped_column(String(64), nullable=False)
    uid: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    user_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict, nullable=False)
