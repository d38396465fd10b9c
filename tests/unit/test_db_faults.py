"""Which failures mean the database is away (503), and which are the request's or the code's (not)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from gateway.db import Database
from gateway.db_faults import DATABASE_FAULT_TYPES, DATABASE_RETRY_AFTER_S, database_unavailable
from gateway.settings import Settings


def wrapped(driver_error: Exception, kind: type[sa_exc.DBAPIError] = sa_exc.DBAPIError) -> sa_exc.DBAPIError:
    """As SQLAlchemy raises a driver's error: the statement, its parameters, and the original."""
    return kind("SELECT 1 WHERE x = $1", ("secret-parameter",), driver_error)


UNAVAILABLE = {
    "connection refused": ConnectionRefusedError(111, "Connect call failed"),
    "socket timeout": TimeoutError(),
    "pool exhausted": sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
    "starting up (57P03)": wrapped(asyncpg.CannotConnectNowError("the database system is starting up")),
    "shutting down (57P01)": wrapped(asyncpg.AdminShutdownError("terminating connection")),
    "too many connections": wrapped(asyncpg.TooManyConnectionsError("sorry, too many clients already")),
    "closed mid-statement": wrapped(asyncpg.ConnectionDoesNotExistError("connection was closed")),
    "disconnect SQLAlchemy saw": sa_exc.DBAPIError("SELECT 1", (), Exception(), connection_invalidated=True),
    "SQLite locked": wrapped(sqlite3.OperationalError("database is locked"), sa_exc.OperationalError),
    "Postgres operational error": wrapped(Exception("server closed unexpectedly"), sa_exc.OperationalError),
    "closed connection message": wrapped(Exception("connection is closed"), sa_exc.InterfaceError),
}
NOT_UNAVAILABLE = {
    "constraint": wrapped(asyncpg.UniqueViolationError("duplicate key"), sa_exc.IntegrityError),
    "bad statement": wrapped(asyncpg.UndefinedColumnError("column does not exist"), sa_exc.ProgrammingError),
    "bad parameter": wrapped(asyncpg.DataError("invalid input for query argument $1"), sa_exc.InterfaceError),
    "SQLite bad SQL": wrapped(sqlite3.OperationalError("no such table: links"), sa_exc.OperationalError),
    "SQLite syntax": wrapped(sqlite3.OperationalError('near "SELEC": syntax error'), sa_exc.OperationalError),
    "missing file": FileNotFoundError("no such file"),
    "a bug": ValueError("bad"),
}


@pytest.mark.parametrize("error", UNAVAILABLE.values(), ids=UNAVAILABLE.keys())
def test_connection_level_failures_are_a_503_with_retry_after(error: Exception) -> None:
    assert isinstance(error, DATABASE_FAULT_TYPES)
    unavailable = database_unavailable(error)
    assert unavailable is not None
    assert unavailable.status_code == 503
    assert unavailable.headers == {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
    assert "secret-parameter" not in unavailable.message


@pytest.mark.parametrize("error", NOT_UNAVAILABLE.values(), ids=NOT_UNAVAILABLE.keys())
def test_other_failures_are_not(error: Exception) -> None:
    assert database_unavailable(error) is None


async def test_a_bad_statement_on_sqlite_is_not_a_fault(tmp_path: Path) -> None:
    """SQLite reports bad SQL as OperationalError: that is a bug (500 with its traceback), not a 503."""
    database = Database.from_settings(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", redis_url=None))
    try:
        async with database.unit_of_work() as session:
            with pytest.raises(sa_exc.OperationalError) as raised:
                await session.execute(text("SELECT * FROM no_such_table"))
        assert database_unavailable(raised.value) is None
    finally:
        await database.dispose()


async def test_a_failed_statement_never_quotes_its_parameters(tmp_path: Path) -> None:
    """Unexpected database errors are logged with their message; parameters may be secrets."""
    database = Database.from_settings(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", redis_url=None))
    try:
        async with database.unit_of_work() as session:
            with pytest.raises(sa_exc.DBAPIError) as raised:
                await session.execute(text("SELECT no_such_column WHERE 1 = :token"), {"token": "lgs_secret"})
        assert "lgs_secret" not in str(raised.value)
    finally:
        await database.dispose()
