"""Accounts with their balances, account numbers and owners."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, IdMixin, JSONType, Money, TenantMixin, TimestampMixin, UTCDateTime


class Account(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("link_id", "provider_account_id"),)

    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), nullable=False
    )
    provider_account_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    official_name: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    subtype: Mapped[str | None] = mapped_column(String(64))
    mask: Mapped[str | None] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    balance_current: Mapped[Decimal | None] = mapped_column(Money())
    balance_available: Mapped[Decimal | None] = mapped_column(Money())
    balance_limit: Mapped[Decimal | None] = mapped_column(Money())
    balances_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_selected: Mapped[bool] = mapped_column(default=True, nullable=False)


class AccountNumber(IdMixin, TenantMixin, TimestampMixin, Base):
    """One set of numbers for an account: `ach`, `eft`, `international` or `bacs`."""

    __tablename__ = "account_numbers"
    __table_args__ = (UniqueConstraint("account_id", "kind"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    account_number: Mapped[str] = mapped_column(String(64), nullable=False)
    routing_number: Mapped[str | None] = mapped_column(String(32))
    wire_routing_number: Mapped[str | None] = mapped_column(String(32))
    branch_number: Mapped[str | None] = mapped_column(String(32))
    bic: Mapped[str | None] = mapped_column(String(16))


class AccountOwner(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "account_owners"

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    names: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    emails: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    phone_numbers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)


class AccountBalance(IdMixin, TenantMixin, TimestampMixin, Base):
    """An account's balances as one day's last refresh left them: the balance history (Yodlee
    `/accounts/historicalBalances`). Written at every refresh that stores accounts."""

    __tablename__ = "account_balances"
    __table_args__ = (UniqueConstraint("account_id", "day"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), index=True, nullable=False
    )
    day: Mapped[date] = mapped_column(Date, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    current: Mapped[Decimal | None] = mapped_column(Money())
    available: Mapped[Decimal | None] = mapped_column(Money())
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
