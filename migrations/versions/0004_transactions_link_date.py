"""An index for pages of one link's transactions by date (newest first) and their count.

Revision ID: 0004_transactions_link_date
Revises: 0003_link_refresh_state
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_transactions_link_date"
down_revision: str | None = "0003_link_refresh_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_transactions_link_id_date_change_seq", "transactions", ["link_id", "date", "change_seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_link_id_date_change_seq", table_name="transactions")
