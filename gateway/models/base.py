"""Declarative base, portable column types and the mixins shared by the unified schema."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, Numeric, String, TypeDecorator, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect (SQLite drops the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # asyncpg already reads `timestamptz` as an aware UTC datetime: no per-value work on Postgres.
        if dialect.driver == "asyncpg":
            return self.impl_instance.result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)


class ExactDecimal(TypeDecorator[Decimal]):
    """`NUMERIC` on Postgres; exact decimal text on SQLite, whose NUMERIC affinity rounds via floats."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money and quantities must be Decimal, got {type(value).__name__}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # Postgres' NUMERIC already arrives as a Decimal: no per-value work there.
        if dialect.name == "postgresql":
            return self.impl_instance.result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)


def Money() -> ExactDecimal:
    """An amount of money: 19 digits, 4 after the point."""
    return ExactDecimal(19, 4)


def Quantity() -> ExactDecimal:
    """A security quantity or unit price: 28 digits, 10 after the point."""
    return ExactDecimal(28, 10)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class TenantMixin:
    """Customer data: every row belongs to exactly one app, and every query starts from it."""

    @declared_attr
    def app_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, ForeignKey("apps.id", ondelete="CASCADE"), index=True, nullable=False)


class DurableWorkMixin:
    """A unit of background work that must happen: the row is the truth, the queue only an accelerator.

    `enqueued_for` is when a task sent for this row is expected to start; the sweeper re-sends rows
    that are due and whose task is overdue (lost with a Redis flush or a killed worker). A worker
    claims a row by setting `lease_expires_at`; an expired lease means the worker died.
    """

    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))
