"""What the Yodlee collection stores beside the unified schema: integer ids and event subscriptions."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, TenantMixin, TimestampMixin

# SQLite only auto-increments an INTEGER PRIMARY KEY; Postgres gets a BIGINT identity.
BigIdentity = BigInteger().with_variant(Integer(), "sqlite")


class YodleeId(TenantMixin, Base):
    """The int64 id Yodlee clients see for one of our rows (`kind`: user, provider_account, account,
    transaction, holding, consent). Assigned on first sight and never changed; lookups always name the
    app, so another tenant's number finds nothing."""

    __tablename__ = "yodlee_ids"
    __table_args__ = (UniqueConstraint("app_id", "kind", "entity_id"),)

    id: Mapped[int] = mapped_column(BigIdentity, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)


class YodleeSubscription(TenantMixin, TimestampMixin, Base):
    """`/configs/notifications/events/{eventName}`: where the app wants one Yodlee event sent."""

    __tablename__ = "yodlee_subscriptions"
    __table_args__ = (UniqueConstraint("app_id", "event_name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    event_name: Mapped[str] = mapped_column(String(48), nullable=False)
    callback_url: Mapped[str] = mapped_column(String(2048), nullable=False)
