"""The Yodlee collection: int64 ids for our rows, and notification subscriptions.

Revision ID: 0008_yodlee_collection
Revises: 0007_plaid_collection
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_yodlee_collection"
down_revision: str | None = "0007_plaid_collection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "yodlee_ids",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_yodlee_ids_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yodlee_ids")),
        sa.UniqueConstraint("app_id", "kind", "entity_id", name=op.f("uq_yodlee_ids_app_id_kind_entity_id")),
    )
    op.create_index(op.f("ix_yodlee_ids_app_id"), "yodlee_ids", ["app_id"])
    op.create_table(
        "yodlee_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("event_name", sa.String(length=48), nullable=False),
        sa.Column("callback_url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_yodlee_subscriptions_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yodlee_subscriptions")),
        sa.UniqueConstraint("app_id", "event_name", name=op.f("uq_yodlee_subscriptions_app_id_event_name")),
    )
    op.create_index(op.f("ix_yodlee_subscriptions_app_id"), "yodlee_subscriptions", ["app_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_yodlee_subscriptions_app_id"), table_name="yodlee_subscriptions")
    op.drop_table("yodlee_subscriptions")
    op.drop_index(op.f("ix_yodlee_ids_app_id"), table_name="yodlee_ids")
    op.drop_table("yodlee_ids")
