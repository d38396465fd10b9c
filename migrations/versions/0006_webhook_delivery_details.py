"""Deliveries name their link, event and trigger; links remember their webhook's format.

Revision ID: 0006_webhook_delivery_details
Revises: 0005_permitted_accounts
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_webhook_delivery_details"
down_revision: str | None = "0005_permitted_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("webhook_format", sa.String(length=16), nullable=True))
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("link_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("event_type", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("trigger", sa.String(length=16), nullable=False, server_default="event"))
        batch.create_foreign_key(
            "fk_webhook_deliveries_link_id_links", "links", ["link_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_webhook_deliveries_app_id_created_at", ["app_id", "created_at"])
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.alter_column("trigger", server_default=None)
    op.create_index("ix_webhook_events_created_at", "webhook_events", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_created_at", table_name="webhook_events")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_index("ix_webhook_deliveries_app_id_created_at")
        batch.drop_constraint("fk_webhook_deliveries_link_id_links", type_="foreignkey")
        batch.drop_column("trigger")
        batch.drop_column("event_type")
        batch.drop_column("link_id")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("webhook_format")
