"""Yodlee's integer ids are issued when rows are created, no longer when they are first read.

- End users, links (their provider account and consent), accounts and holdings keep their numbers in
  `yodlee_ids`; every stored row without one gets one now, in creation order.
- Transactions carry theirs in `transactions.number`, filled by the database at insert: a sequence on
  Postgres; on SQLite, which has none, the `transactions_number` trigger takes the next value of the
  AUTOINCREMENT table `transaction_numbers` (a migration that recreates `transactions` on SQLite must
  create the trigger again). Numbers already shown keep their value; the rest follow them. At 10 million
  transactions this is 8 bytes a row, where a `yodlee_ids` row and its two indexes cost some 200.

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
    ("user", "end_users"), ("provider_account", "links"), ("consent", "links"), ("account", "accounts")
)  # fmt: skip
# As gateway.integer_ids.repository.holding_key: a holding's number follows its (account, security).
HOLDING_NAMESPACE = uuid.UUID("6f1b7c1e-3f0a-4d2e-9a57-0b7f6c2d9e11")

yodlee_ids = sa.table(
    "yodlee_ids", sa.column("app_id", sa.Uuid()), sa.column("kind", sa.String()),
    sa.column("entity_id", sa.Uuid()),
)  # fmt: skip
holdings = sa.table(
    "holdings", sa.column("app_id", sa.Uuid()), sa.column("account_id", sa.Uuid()),
    sa.column("security_id", sa.Uuid()), sa.column("created_at", sa.DateTime(timezone=True)),
)  # fmt: skip

SQLITE_TRIGGER = """
CREATE TRIGGER transactions_number AFTER INSERT ON transactions FOR EACH ROW WHEN NEW.number IS NULL
BEGIN
    INSERT INTO transaction_numbers (number) VALUES (NULL);
    UPDATE transactions SET number = last_insert_rowid() WHERE rowid = NEW.rowid;
    DELETE FROM transaction_numbers;
END
"""


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
    op.add_column("transactions", sa.Column("number", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE transactions SET number = (SELECT y.id FROM yodlee_ids y WHERE y.kind = 'transaction'"
        " AND y.app_id = transactions.app_id AND y.entity_id = transactions.id)"
    )
    op.execute("DELETE FROM yodlee_ids WHERE kind = 'transaction'")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_sequence()
    else:
        _sqlite_sequence()


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


def _postgres_sequence() -> None:
    op.execute("CREATE SEQUENCE transaction_numbers AS BIGINT OWNED BY transactions.number")
    op.execute("SELECT setval('transaction_numbers', coalesce(max(number), 0) + 1, false) FROM transactions")
    op.execute("UPDATE transactions SET number = nextval('transaction_numbers') WHERE number IS NULL")
    op.execute("ALTER TABLE transactions ALTER COLUMN number SET DEFAULT nextval('transaction_numbers')")


def _sqlite_sequence() -> None:
    connection = op.get_bind()
    op.execute("CREATE TABLE transaction_numbers (number INTEGER PRIMARY KEY AUTOINCREMENT)")
    last = connection.execute(sa.text("SELECT coalesce(max(number), 0) FROM transactions")).scalar_one()
    unnumbered = connection.execute(
        sa.text("SELECT rowid FROM transactions WHERE number IS NULL ORDER BY created_at, created_seq")
    ).scalars()
    numbered = [{"row": row, "number": last + n} for n, row in enumerate(unnumbered, start=1)]
    if numbered:
        connection.execute(sa.text("UPDATE transactions SET number = :number WHERE rowid = :row"), numbered)
    # AUTOINCREMENT remembers the largest number it ever gave out, so the trigger continues from here.
    op.execute(sa.text(f"INSERT INTO transaction_numbers (number) VALUES ({last + len(numbered)})"))
    op.execute("DELETE FROM transaction_numbers")
    op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    """Transaction numbers go with their column (the older code issues new ones on first sight); the
    other numbers stay in `yodlee_ids`, which the older code reads the same way."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE transactions ALTER COLUMN number DROP DEFAULT")
    else:
        op.execute("DROP TRIGGER transactions_number")
        op.execute("DROP TABLE transaction_numbers")
    with op.batch_alter_table("transactions") as table:
        table.drop_column("number")
