"""Links remember which of the provider's accounts the end user granted.

Revision ID: 0005_permitted_accounts
Revises: 0004_transactions_link_date
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_permitted_accounts"
down_revision: str | None = "0004_transactions_link_date"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("permitted_accounts", json(), nullable=False, server_default="[]"))
    with op.batch_alter_table("links") as batch:
        batch.alter_column("permitted_accounts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("permitted_accounts")
