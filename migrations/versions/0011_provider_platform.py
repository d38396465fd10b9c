"""The provider platform: each institution's handoff kind, and whether its provider is offered.

Revision ID: 0011_provider_platform
Revises: 0010_transactions_link_pending
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_provider_platform"
down_revision: str | None = "0010_transactions_link_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("institutions") as table:
        table.add_column(
            sa.Column("handoff", sa.String(length=16), nullable=False, server_default="credentials")
        )
        table.add_column(sa.Column("is_offered", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(sa.text("UPDATE institutions SET handoff = 'redirect' WHERE is_oauth"))
    # Imported links' placeholder institutions anchor those links only: nobody can link them.
    op.execute(sa.text("UPDATE institutions SET is_offered = false WHERE provider = 'import'"))


def downgrade() -> None:
    with op.batch_alter_table("institutions") as table:
        table.drop_column("is_offered")
        table.drop_column("handoff")
