"""Link access tokens (Plaid's access_token) and the sequence number at which a pending transaction posted.

Revision ID: 0007_plaid_collection
Revises: 0006_webhook_delivery_details
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_plaid_collection"
down_revision: str | None = "0006_webhook_delivery_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_access_tokens",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_link_access_tokens_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_link_access_tokens_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_link_access_tokens_token_hash")),
    )
    with op.batch_alter_table("link_access_tokens") as batch:
        batch.create_index(batch.f("ix_link_access_tokens_app_id"), ["app_id"], unique=False)
        batch.create_index(batch.f("ix_link_access_tokens_link_id"), ["link_id"], unique=False)
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("posted_seq", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("posted_seq")
    op.drop_table("link_access_tokens")
