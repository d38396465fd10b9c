"""The provider platform: each institution's handoff kind, whether its provider is offered, and apps'
own provider settings.

Revision ID: 0011_provider_platform
Revises: 0010_transactions_link_pending
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_provider_platform"
down_revision: str | None = "0010_transactions_link_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("institutions") as table:
        table.add_column(
            sa.Column("handoff", sa.String(length=16), nullable=False, server_default="credentials")
        )
        table.add_column(sa.Column("is_offered", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(sa.text("UPDATE institutions SET handoff = 'redirect' WHERE is_oauth"))
    # Imported links' placeholder institutions anchor those links only: nobody can link them.
    op.execute(sa.text("UPDATE institutions SET is_offered = false WHERE provider = 'import'"))
    op.create_table(
        "institution_routes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_institution_id", sa.String(length=128), nullable=False),
        sa.Column("handoff", sa.String(length=16), nullable=False),
        sa.Column("credential_fields", json(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"],
            name=op.f("fk_institution_routes_institution_id_institutions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_routes")),
        sa.UniqueConstraint(
            "provider", "provider_institution_id",
            name=op.f("uq_institution_routes_provider_provider_institution_id"),
        ),
    )  # fmt: skip
    op.create_index(op.f("ix_institution_routes_institution_id"), "institution_routes", ["institution_id"])
    # Every institution so far has one route: its own provider.
    op.execute(sa.text(
        "INSERT INTO institution_routes (institution_id, provider, provider_institution_id, handoff, "
        "credential_fields, priority, created_at, updated_at) SELECT id, provider, provider_institution_id, "
        "handoff, credential_fields, 100, created_at, updated_at FROM institutions"
    ))  # fmt: skip
    op.create_table(
        "app_provider_settings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_app_provider_settings_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_provider_settings")),
        sa.UniqueConstraint("app_id", "provider", name=op.f("uq_app_provider_settings_app_id_provider")),
    )
    op.create_index(op.f("ix_app_provider_settings_app_id"), "app_provider_settings", ["app_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_institution_routes_institution_id"), table_name="institution_routes")
    op.drop_table("institution_routes")
    op.drop_index(op.f("ix_app_provider_settings_app_id"), table_name="app_provider_settings")
    op.drop_table("app_provider_settings")
    with op.batch_alter_table("institutions") as table:
        table.drop_column("is_offered")
        table.drop_column("handoff")
