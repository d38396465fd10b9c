"""Links (one end user's login at one institution) and the sessions that create or repair them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, IdMixin, JSONType, TenantMixin, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from gateway.models.institution import Institution


class Link(IdMixin, TenantMixin, TimestampMixin, Base):
    """States: connecting, awaiting_token_exchange, connected, deleted, error (with `error_code`).

    `transactions_seq` is the link's change-log head: every write to its transactions takes the next value.
    `transactions_cursor` is the provider's own cursor, where the next refresh resumes.
    `product_status` holds, per product, `refreshed_at`, `last_attempted_at` and `error_code`.
    `permitted_accounts` lists the provider account ids the end user granted (empty: all of them).
    `handover_from` names the provider whose transaction ids the link still holds after it was relinked
    through another provider; the next refresh that reads transactions matches them to the new
    provider's (`gateway.transactions.reconcile.match_renumbered`) and clears it.
    """

    __tablename__ = "links"

    end_user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("end_users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organizations.id"))
    institution_id: Mapped[str] = mapped_column(String(64), ForeignKey("institutions.id"), nullable=False)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_link_id: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(32), default="connecting", nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(1000))
    products: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    webhook_uri: Mapped[str | None] = mapped_column(String(2048))
    # The wire format of the collection that set `webhook_uri` (a Plaid webhook gets Plaid bodies).
    webhook_format: Mapped[str | None] = mapped_column(String(16))
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    transactions_seq: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    transactions_cursor: Mapped[str | None] = mapped_column(String(255))
    handover_from: Mapped[str | None] = mapped_column(String(16))
    product_status: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    permitted_accounts: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded with the link by `get_link` and `LinkReader.get` (one query for both); never lazily.
    institution: Mapped[Institution] = relationship(lazy="raise_on_sql", viewonly=True)


class LinkSession(IdMixin, TenantMixin, TimestampMixin, Base):
    """A single-use, expiring Connect session; tokens are stored only as hashes."""

    __tablename__ = "link_sessions"
    __table_args__ = (UniqueConstraint("token_hash"), UniqueConstraint("exchangeable_token_hash"))

    end_user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("end_users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    link_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("links.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    exchangeable_token_hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), default="created", nullable=False)
    redirect_uri: Mapped[str | None] = mapped_column(String(2048))
    client_state: Mapped[str | None] = mapped_column(String(1024))
    products: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exchanged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkAccessToken(IdMixin, TenantMixin, TimestampMixin, Base):
    """A long-lived token that names one link (Plaid's `access_token`); only its SHA-256 is stored.

    It lives as long as its link: deleting the link (Plaid's `/item/remove`) ends it."""

    __tablename__ = "link_access_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    link_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("links.id", ondelete="CASCADE"), index=True, nullable=False
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
