"""Engines, sessions and the unit of work: the one place where transactions commit.

Background tasks requested during a unit of work are buffered on the session and sent only after
the commit succeeds; a rollback drops them. A send that fails after the commit loses nothing: the
row is already durable and the sweeper re-sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy.ext.asyncio as sqlalchemy_asyncio
from sqlalchemy import Select, Table, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from gateway.db_liveness import ping_idle_connections
from gateway.observability import tracing
from gateway.settings import Settings

logger = logging.getLogger(__name__)

ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}
PENDING_TASKS_KEY = "linkgate.pending_tasks"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def async_database_url(url: str) -> str:
    """The URL with an async driver: plain `postgresql://` and `sqlite:///` URLs work as given."""
    parsed = make_url(url)
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        if parsed.drivername in ASYNC_DRIVERS.values():
            return url
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: use postgresql:// or sqlite:///"
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def create_engine(settings: Settings) -> AsyncEngine:
    """The gateway's engine. Its errors never quote statement parameters (`hide_parameters`): they are
    logged, and parameters can be tokens, emails or secrets' HMACs."""
    url = async_database_url(settings.database_url)
    # Looked up when called, not imported: tracing (gateway/observability/tracing.py) wraps the module's
    # function when it starts, and then traces every engine made.
    create_async_engine = sqlalchemy_asyncio.create_async_engine
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            json_deserializer=orjson.loads,
            hide_parameters=True,
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        return engine
    # orjson reads JSON columns several times faster than the json module (categories on every page).
    engine = create_async_engine(
        url, pool_size=10, max_overflow=10, json_deserializer=orjson.loads, hide_parameters=True
    )
    ping_idle_connections(engine.sync_engine)
    return engine


def create_private_sqlite_file(url: str) -> None:
    """Create the SQLite file of `url` (if it is a new file) readable and writable by its owner only.

    SQLite would create it with the umask's mode (often world-readable) and gives its WAL and SHM
    files the database file's mode, so creating the file first keeps all three private."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the embedded worker write while the API reads; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@dataclass(frozen=True)
class TaskRequest:
    """A Celery task to send once the surrounding transaction has committed."""

    name: str
    args: tuple[Any, ...] = ()
    countdown: float | None = None
    # Immediate requests for the same task may be merged into one carrying up to this many args.
    batch_limit: int = 1


TaskSender = Callable[[TaskRequest], None]


class ReadOnlySession(Session):
    """The sync half of a read-only session (see `Database.read_only`)."""


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_statements_that_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        raise RuntimeError("a read-only session does not write")


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flushes(session: Session, context: Any, instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only session does not write")


@dataclass
class Database:
    """One engine and its session factories, bound to one event loop."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    reads: async_sessionmaker[AsyncSession] = field(init=False)
    task_sender: TaskSender | None = None

    def __post_init__(self) -> None:
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # The same pool; its connections run each statement on its own, with no BEGIN and no COMMIT.
        autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.reads = async_sessionmaker(
            autocommit, expire_on_commit=False, autoflush=False, sync_session_class=ReadOnlySession
        )

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[AsyncSession]:
        """A session for requests that only read: no transaction around its statements, so two round
        trips fewer than a unit of work (BEGIN and COMMIT; a third of a page request's, bench/RESULTS.md).
        Each statement sees what was committed when it started, as it would inside a READ COMMITTED
        transaction; a statement or flush that would write raises instead."""
        async with self.reads() as session:
            yield session

    @classmethod
    def from_settings(cls, settings: Settings, task_sender: TaskSender | None = None) -> Database:
        return cls(engine=create_engine(settings), task_sender=task_sender)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits on success, rolls back on error, then sends its buffered tasks."""
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                session.info.pop(PENDING_TASKS_KEY, None)
                raise
            await self._send_pending_tasks(session)

    async def _send_pending_tasks(self, session: AsyncSession) -> None:
        requests: list[TaskRequest] = session.info.pop(PENDING_TASKS_KEY, [])
        if not requests or self.task_sender is None:
            return
        sender = self.task_sender
        await asyncio.to_thread(_send_all, sender, coalesce(requests))

    async def dispose(self) -> None:
        await self.engine.dispose()


def coalesce(requests: list[TaskRequest]) -> list[TaskRequest]:
    """Merge immediate requests of a batchable task into as few as its `batch_limit` allows."""
    merged: list[TaskRequest] = []
    open_batches: dict[str, int] = {}  # task name -> index in `merged` of the batch still filling
    for request in requests:
        index = open_batches.get(request.name)
        if request.batch_limit > 1 and request.countdown is None and index is not None:
            batch = merged[index]
            if len(batch.args) + len(request.args) <= request.batch_limit:
                merged[index] = TaskRequest(batch.name, batch.args + request.args, None, batch.batch_limit)
                continue
        if request.batch_limit > 1 and request.countdown is None:
            open_batches[request.name] = len(merged)
        merged.append(request)
    return merged


def _send_all(sender: TaskSender, requests: list[TaskRequest]) -> None:
    for request in requests:
        try:
            sender(request)
        except Exception:
            # The row is committed; the sweeper re-sends it once it is overdue.
            logger.warning(
                "could not send task %s after commit; the sweeper will retry", request.name, exc_info=True
            )


def enqueue_after_commit(session: AsyncSession, request: TaskRequest) -> None:
    """Ask for `request` to be sent when this session's transaction commits (dropped on rollback)."""
    session.info.setdefault(PENDING_TASKS_KEY, []).append(request)


async def conflict_insert(session: AsyncSession, model: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the session's dialect, the kind that takes ON CONFLICT clauses (Postgres, SQLite)."""
    dialect = (await session.connection()).dialect.name
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)


async def bulk_insert(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, copy_threshold: int = 1
) -> None:
    """Insert many rows inside the session's transaction: COPY on Postgres from `copy_threshold` rows
    (SQLAlchemy's executemany costs about 0.7 ms a row here, COPY a small fraction), Core executemany
    otherwise. COPY skips SQLAlchemy's type processing, so values must already be what the driver takes."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < copy_threshold:
        await session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    raw = await connection.get_raw_connection()
    records = [tuple(_copy_value(row[column]) for column in columns) for row in rows]
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=columns
    )


def _copy_value(value: Any) -> Any:
    # JSON columns go as text; everything else as is.
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else value


@dataclass(frozen=True)
class DialectRead:
    """A column SELECT in each dialect's best form: on Postgres compiled once for asyncpg and run on
    the driver, so rows arrive as asyncpg records with no per-row work by SQLAlchemy (two thirds of a
    500-row sync page's cost; bench/RESULTS.md, "Reads at scale"); elsewhere run by SQLAlchemy Core.

    The Postgres form may differ from the other (`= ANY(array)` where the other expands `IN`). Only for
    columns whose driver values are what the readers want: asyncpg's UUIDs are `uuid.UUID`s, its
    NUMERICs `Decimal`s, its timestamptz aware UTC datetimes, and JSON arrives decoded by the codec the
    engine installs."""

    portable: Select[Any]
    postgres_sql: str
    postgres_names: tuple[str, ...]
    postgres_literals: dict[str, Any]  # the values of binds the statement itself holds (`kind != 'removed'`)

    @classmethod
    def of(cls, portable: Select[Any], postgres: Select[Any] | None = None) -> DialectRead:
        compiled = (postgres if postgres is not None else portable).compile(dialect=_ASYNCPG)
        literals = {name: value for name, value in compiled.params.items() if value is not None}
        return cls(portable, str(compiled), tuple(compiled.positiontup or ()), literals)

    async def rows(self, session: AsyncSession, parameters: dict[str, Any]) -> Sequence[Sequence[Any]]:
        connection = await session.connection()
        if connection.dialect.name != "postgresql":
            return list(await connection.execute(self.portable, parameters))
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        with tracing.driver_sql(self.postgres_sql):
            return await driver.fetch(  # type: ignore[union-attr, no-any-return]
                self.postgres_sql, *self.postgres_arguments(parameters)
            )

    def postgres_arguments(self, parameters: dict[str, Any]) -> list[Any]:
        """The positional arguments of `postgres_sql` for these named parameters."""
        return [
            parameters[name] if name in parameters else self.postgres_literals[name]
            for name in self.postgres_names
        ]


_ASYNCPG = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]
