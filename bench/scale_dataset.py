"""A dataset at scale: developers and apps with working API keys, end users, connected sandbox links with
Plaid access tokens, accounts and transactions, bulk-loaded with COPY.

The database is migrated to head with the project's migrations; tenants (developers, apps, keys, webhook
configuration, the sandbox institutions) are made by the gateway's own services, so their credentials
verify exactly as the gateway stores them; everything else is COPYed. Links are the sandbox provider's
(`credentials_bank`, sealed state with a seed, cursor `r1`), so a refresh request reaches a provider that
answers, and their accounts are the generator's. Link sizes are skewed (log-normal) with `--page-links`
links of exactly 50,000 transactions over the last 80 days for the page benchmarks (as theirs); the
total is exact. The plain indexes and
foreign keys of `transactions` (of its partitions, when it has them) are dropped before COPY and
recreated after, unless `--keep-indexes`; its primary key and unique constraint stay.

    .venv/bin/python -m bench.scale_dataset --database-url URL [--transactions 10000000] [--links 20000]
        [--users 2000] [--apps 50] [--webhook-url http://127.0.0.1:PORT/hook] [--manifest PATH]

The manifest (JSON) names every app's credentials, every link (its app, size and access token) and the
page links; `bench/scale_workload.py` reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from bench.postgres import gateway_env

PAGE_LINK_SIZE = 50_000
INSTITUTION = "credentials_bank"
PRODUCTS = ["accounts", "transactions"]
CHUNK_ROWS = 200_000  # transactions per COPY
HISTORY_DAYS = 730
# As the page benchmarks' links: all 50,000 within MoneyKit's default window of 90 days.
PAGE_LINK_DAYS = 80
MERCHANTS = [f"Merchant {n}" for n in range(500)]
CATEGORIES = ['["shopping", "general"]', '["food_and_drink", "restaurants"]', '["transportation"]',
              '["bills_and_utilities"]', '["income"]']  # fmt: skip
TRANSACTION_COLUMNS = (
    "id", "app_id", "link_id", "account_id", "provider_transaction_id", "amount", "direction", "currency",
    "description", "merchant_name", "categories", "date", "pending", "change_seq", "change_kind",
    "created_at", "updated_at", "created_seq", "number",
)  # fmt: skip
MANIFEST = Path("/tmp/linkgate_scale_manifest.json")


@dataclass(frozen=True)
class AppRow:
    app_id: uuid.UUID
    client_id: str
    client_secret: str
    webhook: bool


@dataclass
class LinkRow:
    link_id: uuid.UUID
    app_id: uuid.UUID
    end_user_id: uuid.UUID
    seed: str
    size: int
    access_token: str
    accounts: list[uuid.UUID] = field(default_factory=list)  # transactions go to the first two


class Timer:
    """Prints and keeps the seconds of each phase."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.started = time.perf_counter()

    @asynccontextmanager
    async def phase(self, name: str) -> AsyncIterator[None]:
        started = time.perf_counter()
        yield
        self.phases[name] = time.perf_counter() - started
        print(f"{name}: {self.phases[name]:.1f} s", flush=True)

    def total(self) -> float:
        return time.perf_counter() - self.started


def link_sizes(total: int, links: int, page_links: int, rng: random.Random) -> list[int]:
    """Log-normal sizes (a few big links, many small ones, none empty) summing to exactly `total`, the
    first `page_links` of exactly PAGE_LINK_SIZE and the others below it."""
    rest, others = total - page_links * PAGE_LINK_SIZE, links - page_links
    if others <= 0 or rest < others:
        raise SystemExit("too few transactions for that many links")
    weights = [rng.lognormvariate(0, 1.2) for _ in range(others)]
    scale = (rest - others) / sum(weights)
    sizes = [1 + min(PAGE_LINK_SIZE - 2, int(w * scale)) for w in weights]
    short, n = rest - sum(sizes), 0
    while short > 0:  # spread the rounding left-over over links with room
        if sizes[n % others] < PAGE_LINK_SIZE - 1:
            sizes[n % others] += 1
            short -= 1
        n += 1
    return [PAGE_LINK_SIZE] * page_links + sizes


async def make_tenants(settings: Any, apps: int, webhook_url: str | None) -> list[AppRow]:
    """Developers (five apps each), sandbox apps with an API key, the sandbox institutions; every other
    app sends webhooks to `webhook_url`."""
    from gateway.db import Database
    from gateway.developers.api_keys import api_key_service
    from gateway.developers.repository import developer_repository
    from gateway.developers.service import developer_service
    from gateway.institutions.catalog import sync_institutions
    from providers.registry import ProviderRegistry
    from providers.sandbox.adapter import SandboxProvider

    database = Database.from_settings(settings)
    rows: list[AppRow] = []
    try:
        async with database.unit_of_work() as session:
            await sync_institutions(
                session, ProviderRegistry({"sandbox": SandboxProvider()}, priority=["sandbox"])
            )
            developer_id = uuid.uuid4()
            for n in range(apps):
                if n % 5 == 0:
                    developer = await developer_service.create_developer(
                        session, email=f"scale-{n // 5}@linkgate.local", name=f"Scale developer {n // 5}"
                    )
                    developer_id = developer.id
                app = await developer_service.create_app(
                    session, developer_id=developer_id, name=f"Scale app {n}", mode="sandbox"
                )
                key = await api_key_service.issue(
                    session, app_id=app.id, name="scale", master_key=settings.master_key()
                )
                webhook = webhook_url is not None and n % 2 == 0
                if webhook:
                    configuration = await developer_repository.get_configuration(session, app.id)
                    configuration.webhook_uri = webhook_url
                rows.append(AppRow(app.id, key.client_id, key.client_secret, webhook))
    finally:
        await database.dispose()
    return rows


def plan_links(apps: Sequence[AppRow], users: int, sizes: Sequence[int], rng: random.Random) -> list[LinkRow]:
    """Users spread evenly over apps, links over users; the page links land on different apps."""
    user_apps = [(uuid.uuid4(), apps[n % len(apps)].app_id) for n in range(users)]
    links = []
    for n, size in enumerate(sizes):
        end_user_id, app_id = user_apps[n % users]
        link_id = uuid.uuid4()
        links.append(LinkRow(link_id, app_id, end_user_id, f"sbx-{link_id.hex}", size,
                             f"access-sandbox-{uuid.UUID(int=rng.getrandbits(128), version=4)}"))  # fmt: skip
    return links


def user_records(links: Sequence[LinkRow], now: dt.datetime) -> list[tuple[Any, ...]]:
    users = {link.end_user_id: link.app_id for link in links}
    return [(user_id, app_id, f"USR-{user_id}", "{}", now, now) for user_id, app_id in users.items()]


def link_records(settings: Any, links: Sequence[LinkRow], now: dt.datetime) -> list[tuple[Any, ...]]:
    from gateway.crypto import SecretBox
    from gateway.links.connection_state import seal_state

    box = SecretBox(settings.master_key())
    stamp = now.isoformat()
    status = json.dumps({p: {"refreshed_at": stamp, "last_attempted_at": stamp, "error_code": None}
                         for p in PRODUCTS})  # fmt: skip
    return [
        (link.link_id, link.app_id, link.end_user_id, INSTITUTION, "sandbox", link.seed, "connected",
         json.dumps(PRODUCTS),
         seal_state(box, link.link_id, {"institution": INSTITUTION, "username": "user_good",
                                         "seed": link.seed}),
         link.size, "r1", status, "[]", "[]", now, now, now)
        for link in links
    ]  # fmt: skip


LINK_COLUMNS = (
    "id", "app_id", "end_user_id", "institution_id", "provider", "provider_link_id", "state", "products",
    "credentials_encrypted", "transactions_seq", "transactions_cursor", "product_status", "tags",
    "permitted_accounts", "last_synced_at", "created_at", "updated_at",
)  # fmt: skip
ACCOUNT_COLUMNS = (
    "id", "app_id", "link_id", "provider_account_id", "name", "type", "subtype", "mask", "currency",
    "balance_current", "balance_available", "balance_limit", "balances_as_of", "is_selected", "created_at",
    "updated_at",
)  # fmt: skip


def account_records(links: Sequence[LinkRow], now: dt.datetime) -> list[tuple[Any, ...]]:
    """The sandbox generator's accounts of each link, as a refresh would store them."""
    from providers.sandbox import generator

    rows = []
    for link in links:
        for account in generator.accounts(link.seed, now):
            account_id = uuid.uuid4()
            link.accounts.append(account_id)
            rows.append((account_id, link.app_id, link.link_id, account.provider_account_id, account.name,
                         account.type, account.subtype, account.mask, account.currency,
                         account.balance_current, account.balance_available, account.balance_limit, now, True,
                         now, now))  # fmt: skip
    return rows


def token_records(links: Sequence[LinkRow], now: dt.datetime) -> list[tuple[Any, ...]]:
    return [
        (
            uuid.uuid4(),
            link.app_id,
            link.link_id,
            hashlib.sha256(link.access_token.encode()).hexdigest(),
            now,
            now,
        )
        for link in links
    ]


def transaction_chunks(
    links: Sequence[LinkRow], first_number: int, now: dt.datetime
) -> Iterator[list[tuple[Any, ...]]]:
    """Every link's transactions, oldest first (`created_seq` = `change_seq` = 1..size) over the last two
    years (page links: 80 days), in chunks of about CHUNK_ROWS; `number` continues from `first_number`."""
    today = now.date()
    days = [today - dt.timedelta(days=d) for d in range(HISTORY_DAYS, -1, -1)]
    amounts = [Decimal(f"{1 + n % 397}.{n % 100:02d}") for n in range(1000)]
    high = random.getrandbits(64) << 64
    row_id, number, chunk = 0, first_number, []
    for link in links:
        app_id, link_id, accounts, size = link.app_id, link.link_id, link.accounts[:2], link.size
        span, last = PAGE_LINK_DAYS if size == PAGE_LINK_SIZE else HISTORY_DAYS, max(size - 1, 1)
        for seq in range(1, size + 1):
            row_id += 1
            k = row_id % 1000
            chunk.append((
                uuid.UUID(int=high | row_id), app_id, link_id, accounts[seq & 1], f"t{seq}", amounts[k],
                "credit" if k % 17 == 0 else "debit", "USD", MERCHANTS[k % 500], MERCHANTS[k % 500],
                CATEGORIES[k % 5], days[HISTORY_DAYS - (size - seq) * span // last],
                False, seq, "created", now, now, seq, number,
            ))  # fmt: skip
            number += 1
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class Stripped:
    """What was dropped from a table before COPY, to recreate after it."""

    leaf_indexes: list[str]  # the plain table's, or each partition's: built two at a time
    parent_indexes: list[str]  # a partitioned table's, attaching its partitions' once they exist
    foreign_keys: list[str]


async def strip(connection: asyncpg.Connection, table: str) -> Stripped:
    """Drop the foreign keys and plain indexes of `table` (its partitions' with them). Primary keys and
    unique constraints stay: they cost little to a COPY of ascending ids, rows grouped by link."""
    foreign_keys = await connection.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = $1::regclass AND contype = 'f'",
        table,
    )
    plain = await connection.fetch(
        "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition FROM pg_index i"
        " WHERE indrelid = $1::regclass AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)",
        table,
    )
    leaves = await connection.fetch(
        "SELECT pg_get_indexdef(inhrelid) AS definition FROM pg_inherits"
        " WHERE inhparent = ANY($1::regclass[])",
        [row["name"] for row in plain],
    )
    for row in foreign_keys:
        await connection.execute(f"ALTER TABLE {table} DROP CONSTRAINT {row['conname']}")
    for row in plain:
        await connection.execute(f"DROP INDEX {row['name']}")
    definitions = [row["definition"] for row in plain]
    return Stripped(
        leaf_indexes=[row["definition"] for row in leaves] if leaves else definitions,
        # Without ONLY, the parent's index takes each partition's equivalent index as its own.
        parent_indexes=[d.replace(" ON ONLY ", " ON ", 1) for d in definitions] if leaves else [],
        foreign_keys=[f"ALTER TABLE {table} ADD CONSTRAINT {row['conname']} {row['definition']}"
                      for row in foreign_keys],
    )  # fmt: skip


async def rebuild(pool: asyncpg.Pool, table: str, stripped: Stripped, timer: Timer) -> None:
    """Indexes two at a time (one per core), then the partitioned table's own, then foreign keys."""
    queue = list(stripped.leaf_indexes)

    async def builder() -> None:
        async with pool.acquire() as connection:
            await connection.execute(
                "SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 0"
            )
            while queue:
                await connection.execute(queue.pop(0))

    async with timer.phase(f"{table} indexes (2 connections)"):
        await asyncio.gather(builder(), builder())
    async with timer.phase(f"{table} foreign keys"), pool.acquire() as connection:
        for statement in [*stripped.parent_indexes, *stripped.foreign_keys]:
            await connection.execute(statement)


async def copy_transactions(pool: asyncpg.Pool, links: Sequence[LinkRow], now: dt.datetime) -> int:
    """COPY every transaction, two chunks in flight; returns how many."""
    async with pool.acquire() as connection:
        first = int(await connection.fetchval("SELECT nextval('transaction_numbers')"))
    copied, in_flight = 0, set[asyncio.Task[None]]()

    async def copy(chunk: list[tuple[Any, ...]]) -> None:
        async with pool.acquire() as connection:
            await connection.copy_records_to_table("transactions", records=chunk, columns=TRANSACTION_COLUMNS)

    for chunk in transaction_chunks(links, first, now):
        if len(in_flight) >= 2:
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        in_flight.add(asyncio.create_task(copy(chunk)))
        copied += len(chunk)
        print(f"  {copied:,} transactions", end="\r", flush=True)
    for task in in_flight:
        await task
    async with pool.acquire() as connection:
        await connection.execute("SELECT setval('transaction_numbers', $1)", first + copied - 1)
    return copied


INTEGER_ID_KINDS = (("user", "end_users"), ("provider_account", "links"), ("consent", "links"),
                    ("account", "accounts"))  # fmt: skip
DAY_COUNTS = (
    "INSERT INTO transaction_day_counts (app_id, link_id, account_id, date, live)"
    " SELECT app_id, link_id, account_id, date, count(*) FROM transactions WHERE change_kind <> 'removed'"
    " GROUP BY 1, 2, 3, 4"
)


async def derived_rows(pool: asyncpg.Pool, timer: Timer, *, keep_indexes: bool) -> None:
    """Yodlee's integer ids (as migration 0012 issues them: creation order), and the per-day counts of
    live transactions when this schema has that table (in its primary key's order, without its foreign
    keys until the end: checked row by row they cost three lookups a row)."""
    async with pool.acquire() as connection, timer.phase("integer ids"):
        for kind, table in INTEGER_ID_KINDS:
            await connection.execute(
                f"INSERT INTO yodlee_ids (app_id, kind, entity_id) SELECT app_id, '{kind}', id FROM {table}"
                " ORDER BY created_at, id"
            )
    async with pool.acquire() as connection:
        if await connection.fetchval("SELECT to_regclass('transaction_day_counts')") is None:
            return
        stripped = None if keep_indexes else await strip(connection, "transaction_day_counts")
        async with timer.phase("transaction_day_counts"):
            await connection.execute("SET work_mem = '512MB'")
            await connection.execute(DAY_COUNTS + " ORDER BY 2, 4, 3")
    if stripped is not None:
        await rebuild(pool, "transaction_day_counts", stripped, timer)


async def sizes(connection: asyncpg.Connection) -> dict[str, int]:
    """Bytes of the transactions table (all its partitions), its indexes, the per-day counts, the database."""
    row = await connection.fetchrow(
        "SELECT sum(pg_total_relation_size(relid)) AS total, sum(pg_relation_size(relid)) AS heap,"
        " sum(pg_indexes_size(relid)) AS indexes,"
        " coalesce(pg_total_relation_size(to_regclass('transaction_day_counts')), 0) AS day_counts,"
        " pg_database_size(current_database()) AS database FROM pg_partition_tree('transactions')"
    )
    return {key: int(value) for key, value in row.items()}


async def load(settings: Any, args: argparse.Namespace, timer: Timer) -> dict[str, Any]:
    rng = random.Random(args.seed)
    now = dt.datetime.now(dt.UTC)
    async with timer.phase("tenants (gateway services)"):
        apps = await make_tenants(settings, args.apps, args.webhook_url)
    sizes_ = link_sizes(args.transactions, args.links, args.page_links, rng)
    links = plan_links(apps, args.users, rng.sample(sizes_, len(sizes_)), rng)
    page = [n for n, link in enumerate(links) if link.size == PAGE_LINK_SIZE][: args.page_links]
    url = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await asyncpg.create_pool(url, min_size=2, max_size=2)
    try:
        async with pool.acquire() as connection, timer.phase("users, links, accounts, tokens (COPY)"):
            await connection.copy_records_to_table("end_users", records=user_records(links, now),
                columns=("id", "app_id", "guid", "metadata", "created_at", "updated_at"))  # fmt: skip
            await connection.copy_records_to_table("links", records=link_records(settings, links, now),
                                                   columns=LINK_COLUMNS)  # fmt: skip
            await connection.copy_records_to_table("accounts", records=account_records(links, now),
                                                   columns=ACCOUNT_COLUMNS)  # fmt: skip
            await connection.copy_records_to_table("link_access_tokens", records=token_records(links, now),
                columns=("id", "app_id", "link_id", "token_hash", "created_at", "updated_at"))  # fmt: skip
        async with pool.acquire() as connection:
            stripped = None if args.keep_indexes else await strip(connection, "transactions")
        async with timer.phase("transactions (COPY)"):
            copied = await copy_transactions(pool, links, now)
        if stripped is not None:
            await rebuild(pool, "transactions", stripped, timer)
        await derived_rows(pool, timer, keep_indexes=args.keep_indexes)
        async with pool.acquire() as connection:
            async with timer.phase("vacuum analyze"):
                await connection.execute("VACUUM (ANALYZE) transactions")
                await connection.execute("ANALYZE")
            stats = await sizes(connection)
    finally:
        await pool.close()
    app_index = {app.app_id: n for n, app in enumerate(apps)}
    return {
        "apps": [{"app_id": str(a.app_id), "client_id": a.client_id, "client_secret": a.client_secret,
                  "webhook": a.webhook} for a in apps],
        "links": [[str(link.link_id), app_index[link.app_id], link.size, link.access_token,
                   str(link.end_user_id)] for link in links],
        "page_links": page,
        "transactions": copied,
        "sizes": stats,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="Build a dataset at scale with COPY.")
    parser.add_argument("--database-url", required=True, help="postgresql://... of an existing database")
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--page-links", type=int, default=5, help=f"links of exactly {PAGE_LINK_SIZE:,}")
    parser.add_argument("--webhook-url", default=None, help="loopback receiver every other app notifies")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--keep-indexes", action="store_true", help="COPY into the indexed table")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    os.environ.update(gateway_env(args.database_url))
    from gateway.migrate import upgrade_to_head
    from gateway.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    timer = Timer()
    started = time.perf_counter()
    upgrade_to_head(settings.database_url)
    timer.phases["migrate"] = time.perf_counter() - started
    print(f"migrate: {timer.phases['migrate']:.1f} s", flush=True)
    manifest = asyncio.run(load(settings, args, timer))
    manifest |= {"database_url": args.database_url, "build_s": timer.total(), "phases": timer.phases,
                 "keep_indexes": args.keep_indexes, "webhook_url": args.webhook_url}  # fmt: skip
    args.manifest.write_text(json.dumps(manifest))
    gib = manifest["sizes"]["total"] / 2**30
    print(f"built {manifest['transactions']:,} transactions in {timer.total():.0f} s; transactions table "
          f"{gib:.2f} GiB ({manifest['sizes']['total'] / manifest['transactions']:.0f} bytes a transaction); "
          f"manifest {args.manifest}")  # fmt: skip


if __name__ == "__main__":
    main()
