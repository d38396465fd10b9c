"""Which failures mean "the database cannot be reached right now", so a request answers 503, not 500.

A restarting, stopped or overloaded database surfaces in many shapes: SQLAlchemy's OperationalError
(psycopg, SQLite's "database is locked"), a DBAPIError SQLAlchemy marked as a disconnect, a pool that
timed out, the socket's own ConnectionRefusedError, or a server message with a connection-class SQLSTATE
("the database system is starting up" is 57P03). They are recognised here and only here; the exception
handlers (gateway/exception_handlers.py) answer them with 503 and `Retry-After` in the caller's format.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator

import asyncpg
from sqlalchemy import exc as sa_exc

from gateway.errors import ServiceUnavailable

# A database restart takes a few seconds; clients that honour Retry-After come back after it.
DATABASE_RETRY_AFTER_S = 5

# Exception types a database fault can arrive as; `database_unavailable` decides about each instance.
DATABASE_FAULT_TYPES: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError, OSError,
    asyncpg.PostgresError, asyncpg.InterfaceError,
)  # fmt: skip

# Always connection-level, whatever the message (SQLAlchemy's OperationalError aside: see below).
_CONNECTION_LEVEL = (
    sa_exc.DisconnectionError, sa_exc.TimeoutError,
    ConnectionError, TimeoutError, socket.gaierror, asyncpg.PostgresConnectionError,
)  # fmt: skip
# SQLSTATE class 08 (connection exception), 57P01-57P03 (shutting down, crashed, starting up), 53300
# (too many connections).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite raises OperationalError for bad SQL too ("no such table", syntax errors): only these are faults.
_SQLITE_UNAVAILABLE_MESSAGES = ("database is locked", "unable to open database file", "disk i/o error")
_UNAVAILABLE_MESSAGES = (
    "connection is closed", "connection was closed", "connection refused", "could not connect",
    "server closed the connection", "the database system is starting up",
    "the database system is shutting down", "terminating connection",
)  # fmt: skip


def database_unavailable(error: BaseException) -> ServiceUnavailable | None:
    """The 503 to answer if `error` means the database cannot be reached now, else None."""
    if not is_database_unavailable(error):
        return None
    return ServiceUnavailable(
        "The database is unavailable; retry shortly.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


def is_database_unavailable(error: BaseException) -> bool:
    """True for a connection-level failure (unreachable, restarting, cut, pool exhausted), not for a
    failed statement, constraint or programming error."""
    for cause in _causes(error):
        if isinstance(cause, sa_exc.OperationalError):
            return _operational_error_is_fault(cause)
        if isinstance(cause, _CONNECTION_LEVEL):
            return True
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        if any(message in str(cause).lower() for message in _UNAVAILABLE_MESSAGES):
            return True
    return False


def _operational_error_is_fault(error: sa_exc.OperationalError) -> bool:
    """Postgres drivers raise OperationalError only for connection trouble; SQLite for bad SQL as well."""
    if isinstance(error.orig, sqlite3.OperationalError):
        return any(message in str(error.orig).lower() for message in _SQLITE_UNAVAILABLE_MESSAGES)
    return True


def fault_summary(error: BaseException) -> str:
    """The exception types of the chain, for a log line: messages may quote SQL and its parameters."""
    return " <- ".join(type(cause).__name__ for cause in _causes(error))


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, the driver error SQLAlchemy wrapped (`.orig`), and their explicit causes."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = current.orig if isinstance(current, sa_exc.DBAPIError) else None
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
