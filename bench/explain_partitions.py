"""Which partitions of `transactions` the hot statements read on Postgres (migration 0018).

In a scratch database at head, a few links' transactions are written through the refresh path's
`transaction_repository.apply` and analysed; then each hot statement of
`gateway/transactions/repository.py`, as built there, is executed once for one link with real
parameters (in a transaction rolled back afterwards) and the SQL and parameters the driver received are
explained twice with `EXPLAIN (COSTS OFF)`:

- the custom plan Postgres makes for those parameter values (pruning when planning), and
- the generic plan of the same prepared statement (`plan_cache_mode = force_generic_plan`), which
  Postgres may switch to after five executions of a statement asyncpg keeps prepared (pruning when the
  executor starts: "Subplans Removed").

    .venv/bin/python -m bench.explain_partitions [--links 8] [--per-link 2000] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import String, bindparam, event, literal_column, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from bench.asgi import write_section
from bench.import_links import new_import_link
from bench.postgres import scratch_database
from gateway.db import Database, DialectRead
from gateway.developers.service import developer_service
from gateway.migrate import upgrade_to_head
from gateway.models import Transaction
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.transactions.repository import (
    CHANGE_LOGS,
    EXISTING,
    LAST_SEQ,
    RENAME,
    STORED_FOR_WINDOW,
    TRANSACTIONS,
    UPDATE_ROW,
    counted_page,
    transaction_repository,
    window_read,
)
from gateway.transactions.windows import WindowShape
from providers.base import NormalizedTransaction

TITLE = "Transactions partitioned by link (Postgres)"
PARTITION = re.compile(r"\btransactions_p\d\d\b")
ACCOUNT = "acc-1"


@dataclass(frozen=True)
class Plans:
    """What Postgres makes of one statement: the SQL the driver received, the custom plan for its
    parameters and the generic plan of the same prepared statement."""

    sql: str
    custom: str
    generic: str

    @property
    def custom_scans(self) -> set[str]:
        return scanned(self.custom)

    @property
    def generic_scans(self) -> set[str]:
        return scanned(self.generic)


def scanned(plan: str) -> set[str]:
    """The partitions a plan reads: those its scan nodes name (an UPDATE's plan also lists every
    partition as a possible target, opened only when a row is found in it)."""
    return {name for line in plan.splitlines() if " Scan " in line for name in PARTITION.findall(line)}


@contextmanager
def captured(connection: Connection) -> Iterator[list[tuple[str, Sequence[Any]]]]:
    """The (SQL, parameters) the driver is handed while inside, as SQLAlchemy's dialect rendered them."""
    sent: list[tuple[str, Sequence[Any]]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)


async def explain(
    connection: AsyncConnection, statement: Executable | DialectRead, parameters: dict[str, Any]
) -> Plans:
    """Execute `statement` once as the gateway would (inside a savepoint rolled back afterwards), then
    EXPLAIN what the driver sent: its custom plan, and its generic plan as a prepared statement."""
    savepoint = await connection.begin_nested()
    try:
        values: Sequence[Any]
        if isinstance(statement, DialectRead):  # run on the driver as compiled
            sql, values = statement.postgres_sql, statement.postgres_arguments(parameters)
        else:
            with captured(connection.sync_connection) as sent:  # type: ignore[arg-type]
                await connection.execute(statement, parameters)
            [(sql, values)] = sent
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        custom = await raw.fetch(f"EXPLAIN (COSTS OFF) {sql}", *values)
        await raw.execute(f"PREPARE hot AS {sql}")
        try:
            types = await raw.fetchval(
                "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = 'hot'"
            )
            arguments = ", ".join(
                f"{_literal(value)}::{kind}" for value, kind in zip(values, types, strict=True)
            )
            await raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            generic = await raw.fetch(f"EXPLAIN (COSTS OFF) EXECUTE hot({arguments})")
        finally:
            await raw.execute("DEALLOCATE hot")  # not transactional: the savepoint would keep it
    finally:
        await savepoint.rollback()
    return Plans(sql, _text(custom), _text(generic))


def _literal(value: Any) -> str:
    """A parameter as SQL text (EXECUTE takes expressions, not bound parameters)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, list):  # an array of ids (`= ANY($n)`)
        return "'{" + ",".join(str(item) for item in value) + "}'"
    return "'" + str(value).replace("'", "''") + "'"


def _text(rows: Sequence[Any]) -> str:
    return "\n".join(row[0] for row in rows)


def _transactions(link_number: int, count: int, today: dt.date) -> list[NormalizedTransaction]:
    """`count` transactions over 90 days, one in 20 pending."""
    return [
        NormalizedTransaction(
            provider_transaction_id=f"t-{link_number}-{n}",
            provider_account_id=ACCOUNT,
            amount=Decimal(f"{1 + n % 97}.{n % 100:02d}"),
            direction="debit",
            currency="USD",
            date=today - dt.timedelta(days=n % 90),
            description=f"Merchant {n % 500}",
            pending=n % 20 == 0,
        )  # fmt: skip
        for n in range(count)
    ]


async def load(database: Database, links: int, per_link: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An app with `links` links of `per_link` transactions each, written as a refresh writes them."""
    async with database.unit_of_work() as session:
        app = await developer_service.bootstrap(session, email="bench@example.com", master_key="m" * 48)
    today = dt.date.today()
    link_ids = []
    for number in range(links):
        link = await new_import_link(database, app.app_id, [ACCOUNT])
        async with database.unit_of_work() as session:
            ids = await product_repository.account_ids(session, app.app_id, link.id)
            await transaction_repository.apply(
                session, app_id=app.app_id, link_id=link.id, account_ids=ids,
                upserted=_transactions(number, per_link, today),
            )  # fmt: skip
        link_ids.append(link.id)
    async with database.engine.begin() as connection:
        await connection.exec_driver_sql("ANALYZE")
    return app.app_id, link_ids


ONE_LINK = WindowShape(one_link=True, some_accounts=False)
SEVERAL_LINKS = WindowShape(one_link=False, some_accounts=False)
# What `TransactionRepository.apply` sent through the ORM's flush before it named the link.
BY_ID_ALONE = update(TRANSACTIONS).where(TRANSACTIONS.c.id == bindparam("row_id"))


def hot_statements(
    app_id: uuid.UUID, link_id: uuid.UUID, other_link_id: uuid.UUID, row_id: uuid.UUID
) -> list[tuple[str, Executable | DialectRead, dict[str, Any]]]:
    """(what it serves, the repository's statement, parameters naming `link_id`) for each hot statement."""
    today = dt.date.today()
    page = {"app_id": app_id, "link_id": link_id, "start": today - dt.timedelta(days=30), "end": today,
            "offset": 0, "limit": 100}  # fmt: skip
    changes = {"app_id": app_id, "link_id": link_id, "after_seq": 100, "up_to": LAST_SEQ, "limit": 500}
    two = {key: value for key, value in page.items() if key != "link_id"} | {
        "link_ids": [link_id, other_link_id]
    }
    return [
        ("page of 100 (`counted_page`, one link)", window_read(counted_page, ONE_LINK, page), page),
        ("page over two links (`counted_page`, several links)", window_read(counted_page, SEVERAL_LINKS, two),
         two),
        ("change log / sync page (`CHANGE_LOGS`)", CHANGE_LOGS[False], changes),
        ("window to reconcile (`STORED_FOR_WINDOW`)", STORED_FOR_WINDOW,
         {"app_id": app_id, "link_id": link_id, "since": today - dt.timedelta(days=14)}),
        ("stored rows a refresh compares (`EXISTING`)", EXISTING,
         {"link_id": link_id, "provider_ids": ["t-0-1", "t-0-2", "t-0-3"]}),
        ("a refresh's update of a row (`UPDATE_ROW`)", UPDATE_ROW,
         {"row_link_id": link_id, "row_id": row_id, "change_seq": 10**6, "change_kind": "removed",
          "removed_at": dt.datetime.now(dt.UTC)}),
        ("a renumbered transaction (`RENAME`)", RENAME,
         {"row_app_id": app_id, "row_link_id": link_id, "stored_id": "t-0-4", "new_id": "t-0-4b"}),
        ("for comparison: the ORM flush's update, by id alone (no longer sent)", BY_ID_ALONE,
         {"row_id": row_id, "change_seq": 10**6}),
    ]  # fmt: skip


async def in_another_partition(connection: AsyncConnection, link_ids: Sequence[uuid.UUID]) -> uuid.UUID:
    """A link whose rows are not in the first link's partition (the last one if every link shares it)."""
    placed = select(Transaction.link_id, literal_column("tableoid::regclass::text", String())).distinct()
    partitions = dict((await connection.execute(placed)).all())
    others = [link for link in link_ids if partitions[link] != partitions[link_ids[0]]]
    return others[0] if others else link_ids[-1]


async def measure(database_url: str, links: int, per_link: int) -> list[tuple[str, Plans]]:
    database = Database.from_settings(Settings(database_url=database_url, secret_key="b" * 48))
    try:
        app_id, link_ids = await load(database, links, per_link)
        async with database.engine.connect() as connection:
            first = select(Transaction.id).where(Transaction.link_id == link_ids[0]).limit(1)
            row_id = (await connection.execute(first)).scalar_one()
            other = await in_another_partition(connection, link_ids)
            return [
                (name, await explain(connection, statement, parameters))
                for name, statement, parameters in hot_statements(app_id, link_ids[0], other, row_id)
            ]
    finally:
        await database.dispose()


NOTES = (
    "- A page over two links reads those two links' partitions: it is each link's first rows, one"
    " parameter per link (`link_0`, `link_1`), merged (up to 32 links; beyond that one `link_id = ANY($n)`"
    " statement, whose generic plan cannot prune at executor start).",
    "- The generic plan of an UPDATE lists all 16 partitions as `Update on` targets: Postgres 15 plans "
    "every partition as a possible target and opens one only when the scan under it finds a row there; "
    "the scan reads one partition.",
    "- The ORM's flush used to send `UPDATE transactions ... WHERE transactions.id = $1`, which reads all "
    "16 partitions (the last plan below: a primary key probe in each, or a scan of those the statistics "
    "say are empty); a refresh now updates through `UPDATE_ROW`, which names the link.",
    "- Not shown: `TransactionReader.one`, `search`, `count_matching` and `changed_between` build their "
    "statement per call with `link_id IN (...)`, pruned as the page is; `erase_link_data` deletes with "
    "`link_id =`. Yodlee's data extracts (`users_changed`, `links_changed`) select an app's transactions "
    "by `updated_at` without naming a link and read all 16 partitions, as they read the whole app before.",
)


def report(plans: list[tuple[str, Plans]], links: int, per_link: int, server: str) -> str:
    rows = [f"| {name} | {len(p.custom_scans)} | {len(p.generic_scans)} |" for name, p in plans]
    sections = [
        f"### {name}\n\n```sql\n{p.sql}\n```\n\nCustom plan:\n\n```\n{p.custom}\n```\n\n"
        f"Generic plan:\n\n```\n{p.generic}\n```\n"
        for name, p in plans
    ]
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"`python -m bench.explain_partitions --links {links} --per-link {per_link}` on "
            f"{platform.machine()} Python {platform.python_version()}, {server}: {links} links of "
            f"{per_link:,} transactions (one in 20 pending) written by `transaction_repository.apply`, "
            "then ANALYZE. Each statement is the one `gateway/transactions/repository.py` executes, run "
            "once for one link; what asyncpg received is explained with `EXPLAIN (COSTS OFF)` as a custom "
            "plan for those values and as the generic plan Postgres may switch to after five executions "
            "of a prepared statement (pruned when the executor starts: `Subplans Removed`). `transactions` "
            "has 16 partitions (migration 0018).",
            "",
            "| statement | partitions read, custom plan | partitions read, generic plan |",
            "| --- | --- | --- |",
            *rows,
            "",
            *NOTES,
            "",
            *sections,
        ]
    )


async def server_version(database_url: str) -> str:
    database = Database.from_settings(Settings(database_url=database_url, secret_key="b" * 48))
    try:
        async with database.engine.connect() as connection:
            version = (await connection.exec_driver_sql("SHOW server_version")).scalar_one()
            return f"PostgreSQL {version.split()[0]}"
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="EXPLAIN the hot transaction statements on Postgres.")
    parser.add_argument("--links", type=int, default=8)
    parser.add_argument("--per-link", type=int, default=2000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with scratch_database() as database_url:
        upgrade_to_head(database_url)
        plans = asyncio.run(measure(database_url, args.links, args.per_link))
        server = asyncio.run(server_version(database_url))
    text = report(plans, args.links, args.per_link, server)
    print(text)
    if args.write:
        write_section(TITLE, text)


if __name__ == "__main__":
    main()
