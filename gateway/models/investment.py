"""Securities, holdings and investment transactions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, IdMixin, Money, Quantity, TenantMixin, TimestampMixin, UTCDateTime


class Security(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "securities"
    __table_args__ = (UniqueConstraint("app_id", "provider_security_id"),)

    provider_security_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str | None] = mapped_column(String(255))
    ticker_symbol: Mapped[str | None] = mapped_column(String(32))
    cusip: Mapped[str | None] = mapped_column(String(9))
    isin: Mapped[str | None] = mapped_column(String(12))
    sedol: Mapped[str | None] = mapped_column(String(7))
    figi: Mapped[str | None] = mapped_column(String(12))
    type: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    close_price: Mapped[Decimal | None] = mapped_column(Quantity())
    close_price_as_of: Mapped[dt.date | None] = mapped_column(Date)


class Holding(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "holdings"
    __table_args__ = (UniqueConstraint("account_id", "security_id"),)

    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    security_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("securities.id", ondelete="CASCADE"), nullable=False
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity(), nullable=False)
    institution_price: Mapped[Decimal | None] = mapped_column(Quantity())
    institution_value: Mapped[Decimal | None] = mapped_column(Money())
    cost_basis: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    as_of: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InvestmentTransaction(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "investment_transactions"
    __table_args__ = (UniqueConstraint("link_id", "provider_investment_transaction_id"),)

    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    security_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("securities.id", ondelete="SET NULL")
    )
    provider_investment_transaction_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    subtype: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    quantity: Mapped[Decimal | None] = mapped_column(Quantity())
    price: Mapped[Decimal | None] = mapped_column(Quantity())
    fees: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
