"""An app's own settings for one upstream provider, overriding the operator's (`LINKGATE_<PROVIDER>_*`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class AppProviderSetting(IdMixin, TenantMixin, TimestampMixin, Base):
    """`enabled` offers (or withholds) the provider to the app's end users; `credentials_encrypted` holds
    the app's own upstream keys, sealed with the master key and never returned."""

    __tablename__ = "app_provider_settings"
    __table_args__ = (UniqueConstraint("app_id", "provider"),)

    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    enabled: Mapped[bool] = mapped_column(default=True, nullable=False)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)


class ProviderProblem(IdMixin, TenantMixin, Base):
    """What an upstream said the last time it refused the keys one app calls it with (Plaid's
    INVALID_API_KEYS): shown in the app's provider status until the keys work again or change."""

    __tablename__ = "provider_problems"
    __table_args__ = (UniqueConstraint("app_id", "provider"),)

    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    problem: Mapped[str] = mapped_column(String(500), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
