"""Durable disconnects: a deleted link's upstream connection is ended upstream (Plaid's `/item/remove`);
and each app's last refusal by an upstream of its keys (`provider_problems`).

Revision ID: 0014_upstream_disconnects
Revises: 0013_link_handover
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_upstream_disconnects"
down_revision: str | None = "0013_link_handover"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upstream_disconnects",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enqueued_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_upstream_disconnects_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_disconnects")),
    )
    op.create_index(op.f("ix_upstream_disconnects_app_id"), "upstream_disconnects", ["app_id"])
    op.create_index("ix_upstream_disconnects_due", "upstream_disconnects", ["status", "next_run_at"])
    op.create_table(
        "provider_problems",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.String(length=500), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_provider_problems_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_problems")),
        sa.UniqueConstraint("app_id", "provider", name=op.f("uq_provider_problems_app_id_provider")),
    )
    op.create_index(op.f("ix_provider_problems_app_id"), "provider_problems", ["app_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_provider_problems_app_id"), table_name="provider_problems")
    op.drop_table("provider_problems")
    op.drop_index("ix_upstream_disconnects_due", table_name="upstream_disconnects")
    op.drop_index(op.f("ix_upstream_disconnects_app_id"), table_name="upstream_disconnects")
    op.drop_table("upstream_disconnects")
