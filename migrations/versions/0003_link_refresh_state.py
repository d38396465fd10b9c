"""Links keep the provider's transactions cursor, per-product refresh status and tags; transactions
remember the sequence number they were created at.

Revision ID: 0003_link_refresh_state
Revises: 0002_configuration_name
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_link_refresh_state"
down_revision: str | None = "0002_configuration_name"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("transactions_cursor", sa.String(255), nullable=True))
        batch.add_column(sa.Column("product_status", json(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("tags", json(), nullable=False, server_default="[]"))
    with op.batch_alter_table("links") as batch:
        batch.alter_column("product_status", server_default=None)
        batch.alter_column("tags", server_default=None)
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("created_seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute("UPDATE transactions SET created_seq = change_seq")
    with op.batch_alter_table("transactions") as batch:
        batch.alter_column("created_seq", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("created_seq")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("tags")
        batch.drop_column("product_status")
        batch.drop_column("transactions_cursor")
