"""App configuration gets a name; date formats use Link Money's names (ISO, UTC, unix).

Revision ID: 0002_configuration_name
Revises: 0001_unified_schema
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_configuration_name"
down_revision: str | None = "0001_unified_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_configurations") as batch:
        batch.add_column(
            sa.Column("name", sa.String(200), nullable=False, server_default="My developer configuration")
        )
    op.execute("UPDATE app_configurations SET date_format = 'ISO' WHERE date_format = 'YYYY-MM-DD'")
    with op.batch_alter_table("app_configurations") as batch:
        batch.alter_column("name", server_default=None)


def downgrade() -> None:
    op.execute("UPDATE app_configurations SET date_format = 'YYYY-MM-DD' WHERE date_format = 'ISO'")
    with op.batch_alter_table("app_configurations") as batch:
        batch.drop_column("name")
