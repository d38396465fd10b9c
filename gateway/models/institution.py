"""Institutions: shared reference data, not customer data, so not tenant-scoped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, JSONType, TimestampMixin


class Institution(TimestampMixin, Base):
    """`handoff` is how an end user authorises it (credentials, token, redirect or widget); `is_offered`
    is false while its provider is not configured in this deployment (it is then never listed)."""

    __tablename__ = "institutions"
    __table_args__ = (UniqueConstraint("provider", "provider_institution_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_institution_id: Mapped[str] = mapped_column(String(128), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    url: Mapped[str | None] = mapped_column(String(2048))
    color: Mapped[str | None] = mapped_column(String(16))
    logo_url: Mapped[str | None] = mapped_column(String(2048))
    country_codes: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    products: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    credential_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    is_featured: Mapped[bool] = mapped_column(default=False, nullable=False)
    is_oauth: Mapped[bool] = mapped_column(default=False, nullable=False)
    handoff: Mapped[str] = mapped_column(String(16), default="credentials", nullable=False)
    is_offered: Mapped[bool] = mapped_column(default=True, nullable=False)
    # ABA routing numbers the institution answers to: how two providers' entries are known to be one bank.
    routing_numbers: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)


class InstitutionRoute(TimestampMixin, Base):
    """One way to reach an institution: a provider and that provider's id for it. Lower `priority`
    is tried first (the operator's order of providers); the institution's own `provider` is one of them."""

    __tablename__ = "institution_routes"
    __table_args__ = (UniqueConstraint("provider", "provider_institution_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("institutions.id", ondelete="CASCADE"), index=True, nullable=False
    )
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_institution_id: Mapped[str] = mapped_column(String(128), nullable=False)
    handoff: Mapped[str] = mapped_column(String(16), default="credentials", nullable=False)
    # The fields this provider's login form (or token step) asks for.
    credential_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    priority: Mapped[int] = mapped_column(Integer, default=100, nullable=False)
