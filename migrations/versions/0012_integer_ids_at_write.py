"""Yodlee's integer ids are issued when rows are created, no longer when they are first read: every
stored end user, link (its provider account and its consent), account, transaction and holding that
has no number yet gets one now, in creation order.

Revision ID: 0012_integer_ids_at_write
Revises: 0011_provider_platform
Create Date: 2026-12-03
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_integer_ids_at_write"
down_revision: str | None = "0011_provider_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (kind, table) pairs whose rows are named by their own id.
ROW_KINDS = (
    ("user", "end_users"), ("provider_account", "links"), ("consent", "links"),
    ("account", "accounts"), ("transaction", "transactions"),
)  # fmt: skip
# As gateway.integer_ids.repository.holding_key: a holding's number follows its (account, security).
HOLDING_NAMESPACE = uuid.UUID("6f1b7c1e-3f0a-4d2e-9a57-0b7f6c2d9e11")

yodlee_ids = sa.table(
    "yodlee_ids",
    sa.column("app_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("entity_id", sa.Uuid()),
)
holdings = sa.table(
    "holdings", sa.column("app_id", sa.Uuid()), sa.column("account_id", sa.Uuid()),
    sa.column("security_id", sa.Uuid()), sa.column("created_at", sa.DateTime(timezone=True)),
)  # fmt: skip


def upgrade() -> None:
    for kind, table in ROW_KINDS:
        op.execute(
            sa.text(
                "INSERT INTO yodlee_ids (app_id, kind, entity_id)"
                f" SELECT t.app_id, '{kind}', t.id FROM {table} t WHERE NOT EXISTS"
                f" (SELECT 1 FROM yodlee_ids y WHERE y.app_id = t.app_id AND y.kind = '{kind}'"
                " AND y.entity_id = t.id) ORDER BY t.created_at, t.id"
            )
        )
    _issue_holdings()


def _issue_holdings() -> None:
    connection = op.get_bind()
    known = {
        (app_id, entity_id)
        for app_id, entity_id in connection.execute(
            sa.select(yodlee_ids.c.app_id, yodlee_ids.c.entity_id).where(yodlee_ids.c.kind == "holding")
        )
    }
    rows: dict[tuple[uuid.UUID, uuid.UUID], None] = {}
    statement = sa.select(holdings.c.app_id, holdings.c.account_id, holdings.c.security_id).order_by(
        holdings.c.created_at
    )
    for app_id, account_id, security_id in connection.execute(statement):
        key = (app_id, uuid.uuid5(HOLDING_NAMESPACE, f"{account_id}:{security_id}"))
        if key not in known:
            rows[key] = None
    if rows:
        op.bulk_insert(
            yodlee_ids, [{"app_id": app_id, "kind": "holding", "entity_id": key} for app_id, key in rows]
        )


def downgrade() -> None:
    """Numbers stay: the older code issues the missing ones on first sight and keeps the rest."""
