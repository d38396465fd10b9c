"""The audit log (`audit_entries`): append-only, enforced by the database.

Triggers refuse every UPDATE and DELETE of an entry on both dialects (and TRUNCATE on Postgres). Apps
are never deleted, so no delete is let through; the app foreign key's cascade would be refused too,
which is the point: deleting an app's audit trail takes dropping the trigger first, on purpose.

Revision ID: 0019_audit_log
Revises: 0018_partition_transactions
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_audit_log"
down_revision: str | None = "0018_partition_transactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_entries is append-only"

POSTGRES_FUNCTION = f"""
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
POSTGRES_TRIGGERS = (
    "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries"
    " FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
)
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}: {verb} refused'); END"
    for verb in ("UPDATE", "DELETE")
)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_name", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("organization", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("changes", _json(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_audit_entries_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(op.f("ix_audit_entries_app_id"), "audit_entries", ["app_id"])
    op.create_index("ix_audit_entries_app_id_occurred_at", "audit_entries", ["app_id", "occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers with it; the function is Postgres' alone.
    op.drop_index("ix_audit_entries_app_id_occurred_at", table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_app_id"), table_name="audit_entries")
    op.drop_table("audit_entries")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_entries_append_only()")
