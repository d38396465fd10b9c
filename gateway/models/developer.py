"""Developers, their apps, API keys, app configuration and the organizations an app may see."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, IdMixin, JSONType, TenantMixin, TimestampMixin, UTCDateTime

DEFAULT_ORGANIZATION_KEY = "default"
DEFAULT_CONFIGURATION_NAME = "My developer configuration"


class Developer(IdMixin, TimestampMixin, Base):
    __tablename__ = "developers"

    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))


class App(IdMixin, TimestampMixin, Base):
    """One mode (`sandbox` or `live`), fixed at creation."""

    __tablename__ = "apps"

    developer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("developers.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    mode: Mapped[str] = mapped_column(String(16), nullable=False)


class AppConfiguration(TimestampMixin, Base):
    __tablename__ = "app_configurations"

    app_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), default=DEFAULT_CONFIGURATION_NAME, nullable=False)
    user_id_field: Mapped[str] = mapped_column(String(8), default="guid", nullable=False)
    webhook_uri: Mapped[str | None] = mapped_column(String(2048))
    webhook_format: Mapped[str] = mapped_column(String(16), default="moneykit", nullable=False)
    date_format: Mapped[str] = mapped_column(String(32), default="ISO", nullable=False)
    ip_allow_list: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_webhook_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(IdMixin, TenantMixin, TimestampMixin, Base):
    """A client_id with its secret stored only as a keyed HMAC."""

    __tablename__ = "api_keys"

    client_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Organization(IdMixin, TenantMixin, TimestampMixin, Base):
    """An organization whose data an app may see; every app has one keyed `default`."""

    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("app_id", "key"),)

    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
