"""Asymmetric keys that sign tokens and webhooks; private halves are encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, JSONType, TimestampMixin, UTCDateTime


class SigningKey(TimestampMixin, Base):
    """`status`: `active` signs; `retiring` still verifies (published in the JWKS); `retired` neither."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="ES256", nullable=False)
    private_key_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
