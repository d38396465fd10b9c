"""Pages of transactions break ties of a date by insertion order (`created_seq`), not by last change.

An update no longer moves a transaction within its date, so offset pages neither repeat nor skip a row
while a refresh writes, and Plaid's, MoneyKit's, MX's and Yodlee's pages (Yodlee already ordered so,
by a sort of the whole window) all walk one index backwards: `(link_id, date, created_seq)` replaces
`(link_id, date, change_seq)`, so the table keeps as many indexes as before.

Revision ID: 0017_transactions_page_order
Revises: 0016_transaction_day_counts
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_transactions_page_order"
down_revision: str | None = "0016_transaction_day_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_transactions_link_id_date_created_seq", "transactions", ["link_id", "date", "created_seq"]
    )
    op.drop_index("ix_transactions_link_id_date_change_seq", table_name="transactions")


def downgrade() -> None:
    op.create_index(
        "ix_transactions_link_id_date_change_seq", "transactions", ["link_id", "date", "change_seq"]
    )
    op.drop_index("ix_transactions_link_id_date_created_seq", table_name="transactions")
