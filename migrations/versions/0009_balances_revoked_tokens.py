"""Balance history (one row per account and day, written at each refresh) and revoked tokens.

Revision ID: 0009_balances_revoked_tokens
Revises: 0008_yodlee_collection
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0009_balances_revoked_tokens"
down_revision: str | None = "0008_yodlee_collection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def money() -> sa.types.TypeEngine[Decimal]:
    """NUMERIC(19, 4); exact decimal text on SQLite (see gateway.models.base.ExactDecimal)."""
    return sa.Numeric(19, 4).with_variant(sa.String(21), "sqlite")


def upgrade() -> None:
    op.create_table(
        "account_balances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("current", money(), nullable=True),
        sa.Column("available", money(), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_balances_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_account_balances_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_account_balances_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_balances")),
        sa.UniqueConstraint("account_id", "day", name=op.f("uq_account_balances_account_id_day")),
    )
    op.create_index(op.f("ix_account_balances_app_id"), "account_balances", ["app_id"])
    op.create_index(op.f("ix_account_balances_link_id"), "account_balances", ["link_id"])
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_revoked_tokens_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_tokens")),
    )
    op.create_index(op.f("ix_revoked_tokens_app_id"), "revoked_tokens", ["app_id"])
    op.create_index(op.f("ix_revoked_tokens_expires_at"), "revoked_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_revoked_tokens_expires_at"), table_name="revoked_tokens")
    op.drop_index(op.f("ix_revoked_tokens_app_id"), table_name="revoked_tokens")
    op.drop_table("revoked_tokens")
    op.drop_index(op.f("ix_account_balances_link_id"), table_name="account_balances")
    op.drop_index(op.f("ix_account_balances_app_id"), table_name="account_balances")
    op.drop_table("account_balances")
