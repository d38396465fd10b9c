"""Tokens revoked before their expiry (Yodlee `DELETE /auth/token`), known by their `jti`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, TenantMixin, UTCDateTime, utcnow


class RevokedToken(TenantMixin, Base):
    """Kept until the token would have expired anyway; then nothing can present it again."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, nullable=False)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
