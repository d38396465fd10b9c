"""A link relinked through another provider remembers the provider whose transaction ids it still holds,
until its next refresh matches them to the new provider's.

Revision ID: 0013_link_handover
Revises: 0012_integer_ids_at_write
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_link_handover"
down_revision: str | None = "0012_integer_ids_at_write"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("links", sa.Column("handover_from", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as table:
        table.drop_column("handover_from")
