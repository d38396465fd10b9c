"""A partial index of each link's pending transactions, for reconciling windows.

A window from an upstream without a cursor is matched against every pending transaction of the link,
whatever its date, plus those dated inside the window: with this index both halves are index scans,
and a link's posted history outside the window is never read.

Revision ID: 0010_transactions_link_pending
Revises: 0009_balances_revoked_tokens
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_transactions_link_pending"
down_revision: str | None = "0009_balances_revoked_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_transactions_link_id_pending", "transactions", ["link_id", "date"],
        postgresql_where=sa.text("pending"), sqlite_where=sa.text("pending"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_transactions_link_id_pending", table_name="transactions")
