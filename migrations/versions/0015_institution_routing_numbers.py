"""Institutions keep their routing numbers, so two providers' entries for one bank merge by them (or, as
before, by web address).

Revision ID: 0015_institution_routing_numbers
Revises: 0014_upstream_disconnects
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_institution_routing_numbers"
down_revision: str | None = "0014_upstream_disconnects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("institutions") as table:
        table.add_column(sa.Column("routing_numbers", json(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("institutions") as table:
        table.drop_column("routing_numbers")
