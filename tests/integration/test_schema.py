"""The unified schema on both dialects: migrations up and down without drift, exact money, aware times."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Insert, Row, String, Table, delete, insert, inspect, literal_column, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.explain_partitions import Plans, explain
from gateway.db import Database, async_database_url
from gateway.developers.service import developer_service
from gateway.integer_ids.repository import holding_key
from gateway.migrate import alembic_config, upgrade_to_head
from gateway.models import Account, Base, EndUser, Holding, Institution, Link, Security, Transaction, YodleeId
from gateway.settings import Settings
from gateway.transactions.repository import counted_page, window_read
from gateway.transactions.windows import WindowShape
from tests.conftest import create_database, drop_database

T = TypeVar("T")

CUSTOMER_DATA_TABLES = {
    "api_keys", "organizations", "end_users", "links", "link_sessions", "accounts", "account_numbers",
    "account_owners", "transactions", "securities", "holdings", "investment_transactions", "webhook_events",
    "webhook_deliveries", "webhook_attempts", "refresh_jobs", "yodlee_ids", "yodlee_subscriptions",
    "account_balances", "revoked_tokens", "upstream_disconnects", "provider_problems", "audit_entries",
}  # fmt: skip


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/schema.db"
        return
    name = f"linkgate_schema_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    yield url
    drop_database(name)


# Postgres stores `transactions` in 16 hash partitions (migration 0018): tables of their own to
# reflection, storage of the model's one table to the code.
PARTITION = re.compile(r"transactions_p\d\d")


def compared(name: str | None, type_: str, _parents: object) -> bool:
    """What the drift comparison looks at: not SQLite's stand-in for a sequence (migration 0012's
    `transaction_numbers` table), nor the partitions of `transactions` on Postgres."""
    if type_ != "table" or name is None:
        return True
    return name != "transaction_numbers" and PARTITION.fullmatch(name) is None


def schema_drift(url: str, absent: frozenset[str] = frozenset()) -> list[object]:
    """How the database at `url` differs from the models, leaving out the models' tables named in
    `absent` (those a later revision adds, for a database downgraded below it)."""

    def modelled(item: Any, name: str | None, type_: str, reflected: bool, _other: object) -> bool:
        table = item if type_ == "table" else getattr(item, "table", None)
        return getattr(table, "name", None) not in absent

    async def compare() -> list[object]:
        engine = create_async_engine(async_database_url(url))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(
                            sync,
                            opts={"compare_type": True, "include_name": compared, "include_object": modelled},
                        ),
                        Base.metadata,
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(compare())


def table_names(url: str) -> set[str]:
    async def names() -> set[str]:
        engine = create_async_engine(async_database_url(url))
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(names())


class TestMigrations:
    def test_upgrade_matches_the_models_and_downgrade_undoes_it(self, empty_database_url: str) -> None:
        upgrade_to_head(empty_database_url)
        assert schema_drift(empty_database_url) == []
        assert set(Base.metadata.tables) <= table_names(empty_database_url)

        command.downgrade(alembic_config(empty_database_url), "base")
        assert table_names(empty_database_url) <= {"alembic_version"}

        upgrade_to_head(empty_database_url)
        upgrade_to_head(empty_database_url)  # running it again is a no-op
        assert schema_drift(empty_database_url) == []

    def test_upgrade_numbers_the_rows_stored_before_numbers_were_issued_at_write(
        self, empty_database_url: str
    ) -> None:
        command.upgrade(alembic_config(empty_database_url), "0011_provider_platform")
        database_before = Database.from_settings(
            Settings(database_url=empty_database_url, secret_key="s" * 48)
        )
        stored, shown, unshown = asyncio.run(write_unnumbered_rows(database_before))
        upgrade_to_head(empty_database_url)
        database = Database.from_settings(Settings(database_url=empty_database_url, secret_key="s" * 48))

        async def after_upgrade() -> tuple[
            dict[str, set[uuid.UUID]], dict[uuid.UUID, int | None], int | None
        ]:
            try:
                async with database.unit_of_work() as session:
                    issued: dict[str, set[uuid.UUID]] = {}
                    for kind, entity_id in await session.execute(select(YodleeId.kind, YodleeId.entity_id)):
                        issued.setdefault(kind, set()).add(entity_id)
                    numbers = dict((await session.execute(select(Transaction.id, Transaction.number))).all())
                    first = await session.get(Transaction, shown)
                    assert first is not None
                    later = Transaction(**{column: getattr(first, column) for column in TRANSACTION_COPY},
                                        provider_transaction_id="t-later")  # fmt: skip
                    session.add(later)
                    await session.flush()
                    await session.refresh(later, ["number"])
                    return issued, numbers, later.number
            finally:
                await database.dispose()

        issued, numbers, later = asyncio.run(after_upgrade())
        assert issued == stored  # no transaction rows left in yodlee_ids
        assert numbers == {shown: 1000, unshown: 1001}  # the number shown kept, the next one after it
        assert later == 1002  # inserts continue from there: a sequence on Postgres, a trigger on SQLite

    def test_every_customer_data_table_carries_app_id(self) -> None:
        for name in CUSTOMER_DATA_TABLES:
            table = Base.metadata.tables[name]
            assert "app_id" in table.c, name
            assert not table.c["app_id"].nullable, name
            assert any(fk.column.table.name == "apps" for fk in table.c["app_id"].foreign_keys), name


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    name = f"linkgate_schema_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    yield url
    drop_database(name)


# The models' tables that revisions after 0018 create.
ADDED_AFTER_0018 = frozenset({"audit_entries"})
# What must survive a conversion of the table: each transaction's identity, numbers and values.
KEPT: tuple[Any, ...] = (
    Transaction.id, Transaction.link_id, Transaction.provider_transaction_id, Transaction.number,
    Transaction.created_seq, Transaction.change_seq, Transaction.posted_seq, Transaction.change_kind,
    Transaction.amount, Transaction.pending, Transaction.categories, Transaction.created_at,
)  # fmt: skip
PARTITIONING = """
SELECT p.partstrat::text, array(SELECT a.attname::text FROM unnest(p.partattrs::int2[]) AS k(attnum)
                          JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum),
       (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = p.partrelid)
FROM pg_partitioned_table p WHERE p.partrelid = 'transactions'::regclass
"""


async def partitions_analysed(session: AsyncSession) -> list[bool]:
    """Whether each partition of `transactions` has statistics (`reltuples` -1: never analysed)."""
    rows = await session.execute(text(
        "SELECT c.reltuples >= 0 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'transactions'::regclass"
    ))  # fmt: skip
    return [bool(analysed) for (analysed,) in rows]


class TestPartitionedTransactions:
    """Migration 0018: on Postgres, `transactions` hash-partitioned by link."""

    def test_upgrade_keeps_every_row_and_number_and_downgrade_gives_a_plain_table_back(
        self, empty_postgres_url: str
    ) -> None:
        command.upgrade(alembic_config(empty_postgres_url), "0017_transactions_page_order")
        links = run_on(empty_postgres_url, write_links)
        before = run_on(empty_postgres_url, kept_rows)
        assert sorted(row.number for row in before.values()) == list(range(1, 16))

        upgrade_to_head(empty_postgres_url)
        assert run_on(empty_postgres_url, partitioning) == ("h", ["link_id"], 16)
        assert run_on(empty_postgres_url, primary_key) == ["id", "link_id"]
        assert run_on(empty_postgres_url, kept_rows) == before
        assert run_on(empty_postgres_url, lambda session: add_transaction(session, links[1], "t-16")) == 16
        run_on(empty_postgres_url, lambda session: session.execute(delete(Link).where(Link.id == links[0])))
        remaining = run_on(empty_postgres_url, kept_rows)
        kept = {id_: row for id_, row in before.items() if row.link_id != links[0]}
        assert {id_: row for id_, row in remaining.items() if row.provider_transaction_id != "t-16"} == kept

        command.downgrade(alembic_config(empty_postgres_url), "0017_transactions_page_order")
        assert run_on(empty_postgres_url, partitioning) is None
        assert run_on(empty_postgres_url, primary_key) == ["id"]
        assert run_on(empty_postgres_url, kept_rows) == remaining
        # 0017's plain table, indexes and keys, as the models say (without the tables added since)
        assert schema_drift(empty_postgres_url, absent=ADDED_AFTER_0018) == []
        assert run_on(empty_postgres_url, lambda session: add_transaction(session, links[2], "t-17")) == 17

    def test_a_fresh_install_leaves_the_partitions_unanalysed(self, empty_postgres_url: str) -> None:
        """Partitions analysed empty are planned as empty until autovacuum's next pass (a 50,000-row
        link's page read by sequential scans); never analysed, Postgres estimates from their size."""
        upgrade_to_head(empty_postgres_url)
        analysed = run_on(empty_postgres_url, partitions_analysed)
        assert len(analysed) == 16
        assert not any(analysed)

    def test_a_page_of_one_link_reads_one_partition(self, empty_postgres_url: str) -> None:
        upgrade_to_head(empty_postgres_url)
        links = run_on(empty_postgres_url, write_links)
        app_id, partition = run_on(empty_postgres_url, lambda session: placement(session, links[0]))
        today = dt.date.today()
        parameters = {"app_id": app_id, "link_id": links[0], "start": today - dt.timedelta(days=30),
                      "end": today, "offset": 0, "limit": 100}  # fmt: skip
        one_link = window_read(counted_page, WindowShape(one_link=True, some_accounts=False), parameters)

        async def page_plans() -> Plans:
            engine = create_async_engine(async_database_url(empty_postgres_url))
            try:
                async with engine.connect() as connection:
                    return await explain(connection, one_link, parameters)
            finally:
                await engine.dispose()

        plans = asyncio.run(page_plans())
        assert plans.custom_scans == {partition}, plans.custom
        assert plans.generic_scans == {partition}, plans.generic


def run_on(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one committed unit of work on the database at `url`."""

    async def run() -> T:
        database = Database.from_settings(Settings(database_url=url, secret_key="s" * 48))
        try:
            async with database.unit_of_work() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


async def write_links(session: AsyncSession) -> list[uuid.UUID]:
    """Three links of five transactions each (numbered by the database), the first of each pending and
    then posted."""
    boot = await developer_service.bootstrap(session, email="p@x.io", master_key="m" * 48)
    session.add(Institution(id="ins_partitions", provider="sandbox", provider_institution_id="x", name="X"))
    user = EndUser(app_id=boot.app_id, guid=f"USR-{uuid.uuid4().hex}")
    session.add(user)
    await session.flush()
    links = []
    for _ in range(3):
        link = Link(
            app_id=boot.app_id, end_user_id=user.id, institution_id="ins_partitions", provider="sandbox"
        )
        session.add(link)
        await session.flush()
        account = Account(app_id=boot.app_id, link_id=link.id, provider_account_id="a", name="A",
                          type="depository")  # fmt: skip
        session.add(account)
        await session.flush()
        now = dt.datetime.now(dt.UTC)
        for seq in range(1, 6):
            await session.execute(named_columns_insert(Transaction, {
                "id": uuid.uuid4(), "app_id": boot.app_id, "link_id": link.id, "account_id": account.id,
                "provider_transaction_id": f"t-{seq}", "amount": Decimal(f"{seq}.25"), "direction": "debit",
                "currency": "USD", "description": "Coffee", "categories": ["food"],
                "date": now.date() - dt.timedelta(days=seq), "pending": False, "created_seq": seq,
                "change_seq": seq + 5 if seq == 1 else seq, "posted_seq": 6 if seq == 1 else None,
                "change_kind": "updated" if seq == 1 else "created", "created_at": now, "updated_at": now,
            }))  # fmt: skip
        links.append(link.id)
    return links


async def kept_rows(session: AsyncSession) -> dict[uuid.UUID, Row[Any]]:
    """Every transaction by id."""
    return {row.id: row for row in await session.execute(select(*KEPT))}


async def partitioning(session: AsyncSession) -> tuple[str, list[str], int] | None:
    """(strategy, partition key columns, number of partitions) of `transactions`; None if plain."""
    row = (await session.execute(text(PARTITIONING))).first()
    return None if row is None else (row[0], row[1], row[2])


async def primary_key(session: AsyncSession) -> list[str]:
    connection = await session.connection()
    key = await connection.run_sync(lambda sync: inspect(sync).get_pk_constraint("transactions"))
    return list(key["constrained_columns"])


async def add_transaction(session: AsyncSession, link_id: uuid.UUID, provider_id: str) -> int | None:
    """A new transaction of the link, as the ORM writes one; the number the database gave it."""
    stored = select(Transaction).where(Transaction.link_id == link_id).limit(1)
    first = (await session.execute(stored)).scalar_one()
    later = Transaction(**{column: getattr(first, column) for column in TRANSACTION_COPY},
                        provider_transaction_id=provider_id)  # fmt: skip
    session.add(later)
    await session.flush()
    await session.refresh(later, ["number"])
    return later.number


async def placement(session: AsyncSession, link_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """The link's app and the partition holding its transactions."""
    statement = select(Transaction.app_id, literal_column("tableoid::regclass::text", String())).where(
        Transaction.link_id == link_id
    )
    app_id, partition = (await session.execute(statement.limit(1))).one()
    return app_id, partition


TRANSACTION_COPY = ("app_id", "link_id", "account_id", "amount", "direction", "currency", "description",
                    "categories", "date", "pending", "created_seq", "change_seq", "change_kind")  # fmt: skip


def named_columns_insert(model: type[Any], values: dict[str, Any]) -> Insert:
    """An INSERT of exactly `values`' columns (typed as the model types them), none of the columns or
    defaults later revisions added: for rows written at an older revision."""
    columns = model.__table__.c
    table = sa_table(model.__tablename__, *(sa_column(name, columns[name].type) for name in values))
    return insert(table).values(values)


async def write_unnumbered_rows(database: Database) -> tuple[dict[str, set[uuid.UUID]], uuid.UUID, uuid.UUID]:
    """Rows of every numbered kind as revision 0011 left them: one transaction already shown by a Yodlee
    read (number 1000 in `yodlee_ids`), the rest never shown. Links and transactions go in through Core,
    naming their columns: the models have columns later revisions added."""
    try:
        async with database.unit_of_work() as session:
            boot = await developer_service.bootstrap(session, email="n@x.io", master_key="m" * 48)
            now = dt.datetime.now(dt.UTC)
            await session.execute(named_columns_insert(Institution, {
                "id": "ins_numbers", "provider": "sandbox", "provider_institution_id": "x", "name": "X",
                "country_codes": [], "products": [], "credential_fields": [], "is_featured": False,
                "is_oauth": False, "handoff": "credentials", "is_offered": True, "created_at": now,
                "updated_at": now,
            }))  # fmt: skip
            user = EndUser(app_id=boot.app_id, guid=f"USR-{uuid.uuid4().hex}")
            session.add(user)
            await session.flush()
            link_id = uuid.uuid4()
            await session.execute(named_columns_insert(Link, {
                "id": link_id, "app_id": boot.app_id, "end_user_id": user.id, "institution_id": "ins_numbers",
                "provider": "sandbox", "state": "connected", "products": [], "transactions_seq": 0,
                "product_status": {}, "tags": [], "permitted_accounts": [], "created_at": now,
                "updated_at": now,
            }))  # fmt: skip
            account = Account(app_id=boot.app_id, link_id=link_id, provider_account_id="a", name="A",
                              type="depository")  # fmt: skip
            security = Security(app_id=boot.app_id, provider_security_id="sec-1")
            session.add_all([account, security])
            await session.flush()
            session.add(Holding(app_id=boot.app_id, link_id=link_id, account_id=account.id,
                                security_id=security.id, quantity=Decimal("2")))  # fmt: skip
            shown, unshown = uuid.uuid4(), uuid.uuid4()
            rows = [
                {"id": entity, "app_id": boot.app_id, "link_id": link_id, "account_id": account.id,
                 "provider_transaction_id": f"t-{seq}", "amount": Decimal("1.00"), "direction": "debit",
                 "currency": "USD", "description": "Coffee", "categories": [], "date": now.date(),
                 "pending": False, "created_seq": seq, "change_seq": seq, "change_kind": "created",
                 "created_at": now, "updated_at": now}
                for seq, entity in enumerate((shown, unshown), start=1)
            ]  # fmt: skip
            await session.execute(insert(cast(Table, Transaction.__table__)), rows)
            await session.execute(
                insert(cast(Table, YodleeId.__table__)),
                [{"id": 1000, "app_id": boot.app_id, "kind": "transaction", "entity_id": shown}],
            )
            stored = {"user": {user.id}, "provider_account": {link_id}, "consent": {link_id},
                      "account": {account.id}, "holding": {holding_key(account.id, security.id)}}  # fmt: skip
            return stored, shown, unshown
    finally:
        await database.dispose()


async def write_and_read_transaction(database: Database, master_key: str) -> tuple[Transaction, Account]:
    async with database.unit_of_work() as session:
        boot = await developer_service.bootstrap(
            session, email=f"m-{uuid.uuid4().hex[:6]}@x.io", master_key=master_key
        )
        institution = await session.get(Institution, "ins_schema_test")
        if institution is None:
            session.add(
                Institution(id="ins_schema_test", provider="sandbox", provider_institution_id="x", name="X")
            )
        user = EndUser(app_id=boot.app_id, guid=f"USR-{uuid.uuid4().hex}")
        session.add(user)
        await session.flush()
        link = Link(
            app_id=boot.app_id, end_user_id=user.id, institution_id="ins_schema_test", provider="sandbox"
        )
        session.add(link)
        await session.flush()
        account = Account(
            app_id=boot.app_id, link_id=link.id, provider_account_id="acc-1", name="Checking",
            type="depository",
            balance_current=Decimal("123456789012345.6789"), balance_available=Decimal("-0.0001"),
        )  # fmt: skip
        session.add(account)
        await session.flush()
        session.add(
            Transaction(
                app_id=boot.app_id, link_id=link.id, account_id=account.id, provider_transaction_id="t-1",
                amount=Decimal("0.10"), direction="debit", description="Coffee", date=dt.date(2026, 11, 20),
                datetime=dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
                created_seq=1, change_seq=1, change_kind="created",
            )
        )  # fmt: skip
        transaction_id, account_id = link.id, account.id
    async with database.unit_of_work() as session:
        txn = (
            await session.execute(select(Transaction).where(Transaction.link_id == transaction_id))
        ).scalar_one()
        acct = (await session.execute(select(Account).where(Account.id == account_id))).scalar_one()
        return txn, acct


class TestValuesSurviveExactly:
    def test_money_is_decimal_and_times_are_utc_aware(self, empty_database_url: str) -> None:
        upgrade_to_head(empty_database_url)
        settings = Settings(database_url=empty_database_url, secret_key="s" * 48)

        async def run() -> tuple[Transaction, Account]:
            database = Database.from_settings(settings)
            try:
                return await write_and_read_transaction(database, settings.master_key())
            finally:
                await database.dispose()

        txn, account = asyncio.run(run())
        assert account.balance_current == Decimal("123456789012345.6789")
        assert account.balance_available == Decimal("-0.0001")
        assert isinstance(txn.amount, Decimal)
        assert txn.amount == Decimal("0.10")
        assert txn.datetime == dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)
        assert txn.datetime.tzinfo is not None
        assert txn.created_at.tzinfo is not None

    def test_floats_and_naive_datetimes_are_refused(self) -> None:
        from gateway.models.base import Money, UTCDateTime

        with pytest.raises(TypeError, match="Decimal"):
            Money().process_bind_param(0.1, None)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="naive"):
            UTCDateTime().process_bind_param(dt.datetime(2026, 1, 1), None)  # type: ignore[arg-type]


def test_revision_ids_fit_alembics_version_column() -> None:
    """alembic_version.version_num is VARCHAR(32) on Postgres; a longer id fails only at upgrade time."""
    from alembic.script import ScriptDirectory

    from gateway.migrate import alembic_config

    revisions = list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions())
    assert revisions
    assert all(len(revision.revision) <= 32 for revision in revisions)
