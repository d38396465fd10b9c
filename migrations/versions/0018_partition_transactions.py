"""On Postgres, `transactions` becomes a table hash-partitioned by `link_id` into 16 partitions.

Every statement of the request and refresh paths names one link (or a few), so Postgres reads one
partition's indexes instead of the whole table's; vacuum, index maintenance and a link's bulk writes stay
inside one partition.

Why 16: the number of partitions is fixed when the table is made, and changing it rewrites the table.
Sixteen cuts every index to a sixteenth (some 600k rows a partition at 10 million transactions) while
planning and each connection's relation cache stay small, and the statements that do span every link
(the app-wide data extracts) open 16 partitions, not hundreds. A power of two also leaves room: Postgres
wants every modulus to divide the next, so one partition (modulus 16) can later be split into two of
modulus 32 without touching the other fifteen.

What changes besides the layout: a partitioned table's primary key and unique constraints must contain
the partition key, so the primary key is (id, link_id) instead of (id). The statements that find a row
by id name its link too (a transaction by id, a refresh's updates) and probe one partition's key; with
`id` first, a lookup by id alone (the ORM's `session.get`) still probes each partition's key index
rather than scanning.
The uniqueness of `id` alone is no longer enforced by Postgres (ids are random UUIDs, made by the
gateway); (link_id, provider_transaction_id) stays unique as before. Nothing references `transactions.id`
by foreign key. Every row, column value (ids, `number`, the sequence numbers) and index is kept, and the
`transaction_numbers` sequence continues where it was.

How: in the migration's one transaction, the table is locked against everything, a partitioned copy
with the same columns in the same order (`LIKE`) is filled by one INSERT ... SELECT, the old table is
dropped, and the constraints and indexes are built afterwards on the filled partitions, which is much
faster than maintaining them row by row, then analysed (when there were rows). Cost: reads and writes
of transactions wait for the whole copy (200,000 rows took 3.4 to 4.9 s on a 2-core machine: some 2 s
per 100,000 rows, so half a minute a million), and the database needs room for a second copy of the table
and its indexes until the commit. Downgrade does the same the other way, back to a plain table with the
primary key (id).

SQLite (embedded) is untouched in both directions.

Revision ID: 0018_partition_transactions
Revises: 0017_transactions_page_order
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_partition_transactions"
down_revision: str | None = "0017_transactions_page_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITIONS = 16
STAGING = "transactions_rebuilt"
# (name, columns, partial index condition) as the earlier revisions made them.
INDEXES = (
    ("ix_transactions_app_id", ["app_id"], None),
    ("ix_transactions_account_id_date", ["account_id", "date"], None),
    ("ix_transactions_link_id_change_seq", ["link_id", "change_seq"], None),
    ("ix_transactions_link_id_date_created_seq", ["link_id", "date", "created_seq"], None),
    ("ix_transactions_link_id_pending", ["link_id", "date"], "pending"),
)
FOREIGN_KEYS = (("app_id", "apps"), ("link_id", "links"), ("account_id", "accounts"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    partitions = [
        f"CREATE TABLE {partition_name(n)} PARTITION OF {STAGING}"
        f" FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n})"
        for n in range(PARTITIONS)
    ]
    _rebuild(" PARTITION BY HASH (link_id)", partitions, primary_key=["id", "link_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild("", [], primary_key=["id"])


def partition_name(remainder: int) -> str:
    return f"transactions_p{remainder:02d}"


def _rebuild(partitioning: str, partitions: list[str], *, primary_key: list[str]) -> None:
    """Copy `transactions` into a new table of the same columns (partitioned as `partitioning` says),
    then replace the old one and give the new one the old constraints and indexes."""
    op.execute("LOCK TABLE transactions IN ACCESS EXCLUSIVE MODE")
    op.execute(
        f"CREATE TABLE {STAGING} (LIKE transactions INCLUDING DEFAULTS INCLUDING STORAGE){partitioning}"
    )
    for statement in partitions:
        op.execute(statement)
    op.execute(f"INSERT INTO {STAGING} SELECT * FROM transactions")
    # The sequence is owned by transactions.number: without this it would go with the old table.
    op.execute("ALTER SEQUENCE transaction_numbers OWNED BY NONE")
    op.execute("DROP TABLE transactions")
    op.execute(f"ALTER TABLE {STAGING} RENAME TO transactions")
    op.execute("ALTER SEQUENCE transaction_numbers OWNED BY transactions.number")
    op.create_primary_key("pk_transactions", "transactions", primary_key)
    op.create_unique_constraint(
        "uq_transactions_link_id_provider_transaction_id",
        "transactions",
        ["link_id", "provider_transaction_id"],
    )
    for name, columns, where in INDEXES:
        op.create_index(name, "transactions", columns, postgresql_where=sa.text(where) if where else None)
    for column, referred in FOREIGN_KEYS:
        op.create_foreign_key(
            f"fk_transactions_{column}_{referred}",
            "transactions",
            referred,
            [column],
            ["id"],
            ondelete="CASCADE",
        )
    # Statistics for the copied rows. An empty table (a fresh install) is left unanalysed: partitions
    # analysed empty would be planned as empty, with sequential scans, until autovacuum's next pass.
    if op.get_bind().execute(sa.text("SELECT EXISTS (SELECT 1 FROM transactions)")).scalar():
        op.execute("ANALYZE transactions")
