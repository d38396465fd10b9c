"""`linkgate doctor`: is this deployment able to run? Each check says ok or what is wrong.

It checks what an operator would otherwise find out from a failing request: the settings, the
database and its migrations, the broker, the providers, and whether this machine's clock agrees with
the database's and the broker's (tokens, leases and webhook signatures all carry times). It calls no
upstream provider: their configuration is checked, not their reachability.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

import httpx
import redis.asyncio as aioredis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from gateway.db import Database
from gateway.health.checks import check_database
from gateway.migrate import alembic_config
from gateway.settings import InsecureConfiguration, Settings
from gateway.upstreams.registry import build_registry

MAX_CLOCK_SKEW_S = 2.0


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str

    def as_json(self) -> dict[str, str | bool]:
        return asdict(self)


class Problem(Exception):
    """What a check found wrong, in words."""


Check = Callable[[], Awaitable[str]]


async def diagnose(settings: Settings) -> list[Finding]:
    """Every check, in order; a check that cannot finish within the readiness timeout has failed."""
    database = Database.from_settings(settings)
    try:
        checks: dict[str, Check] = {
            "settings": lambda: _settings(settings),
            "database": lambda: _database(database, settings.readiness_timeout_s),
            "migrations": lambda: _migrations(database),
            "broker": lambda: _broker(settings),
            "providers": lambda: _providers(settings),
            "clock": lambda: _clock(settings, database),
        }
        return [await _run(name, check, settings.readiness_timeout_s) for name, check in checks.items()]
    finally:
        await database.dispose()


async def _run(name: str, check: Check, timeout_s: float) -> Finding:
    try:
        async with asyncio.timeout(timeout_s):
            return Finding(name, True, await check())
    except Problem as problem:
        return Finding(name, False, str(problem))
    except TimeoutError:
        return Finding(name, False, f"no answer within {timeout_s:g} s")
    except Exception as exc:  # what an operator needs is the failure's kind and words, not a traceback
        return Finding(name, False, f"{type(exc).__name__}: {exc}")


async def _settings(settings: Settings) -> str:
    try:
        settings.check_production_ready()
    except InsecureConfiguration as exc:
        raise Problem(str(exc)) from exc
    if settings.is_embedded:
        return f"{settings.env.value}, embedded (worker and scheduler inside `linkgate serve`)"
    return f"{settings.env.value}, distributed"


async def _database(database: Database, timeout_s: float) -> str:
    started = time.perf_counter()
    await check_database(database, timeout_s)  # the readiness probe's own check
    return f"{database.engine.dialect.name} answered in {(time.perf_counter() - started) * 1000:.1f} ms"


async def _migrations(database: Database) -> str:
    head = ScriptDirectory.from_config(alembic_config(str(database.engine.url))).get_current_head()
    async with database.engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    if current != head:
        raise Problem(
            f"the database is at {current or 'no revision'}, the code needs {head}: run `linkgate migrate`"
        )
    return f"at {head}"


async def _broker(settings: Settings) -> str:
    if settings.redis_url is None:
        return "embedded: the broker runs inside `linkgate serve`"
    client = _redis(settings.redis_url, settings)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as exc:
        raise Problem(f"Redis at {_where(settings.redis_url)} does not answer: {exc}") from exc
    finally:
        await client.aclose()
    return f"Redis at {_where(settings.redis_url)} answered"


async def _providers(settings: Settings) -> str:
    async with httpx.AsyncClient() as http:  # never used: building the adapters checks their settings
        registry = build_registry(settings, http)
    return "offered: " + ", ".join(registry.names())


async def _clock(settings: Settings, database: Database) -> str:
    """How far the database's clock (and the broker's) is from this machine's."""
    skews: dict[str, float] = {}
    async with database.engine.connect() as connection:
        if database.engine.dialect.name == "postgresql":
            before = time.time()
            now = (await connection.execute(text("SELECT now()"))).scalar_one()
            skews["database"] = now.timestamp() - (before + time.time()) / 2
    if settings.redis_url is not None:
        client = _redis(settings.redis_url, settings)
        try:
            before = time.time()
            seconds, microseconds = await client.time()
            skews["broker"] = seconds + microseconds / 1e6 - (before + time.time()) / 2
        except (OSError, aioredis.RedisError):
            pass  # the broker check reports it
        finally:
            await client.aclose()
    worst = max(skews.items(), key=lambda item: abs(item[1]), default=None)
    if worst is not None and abs(worst[1]) > MAX_CLOCK_SKEW_S:
        raise Problem(f"the {worst[0]}'s clock is {worst[1]:+.1f} s from this machine's (at most "
                      f"{MAX_CLOCK_SKEW_S:g} s): run NTP on both")  # fmt: skip
    shown = ", ".join(f"{name} {skew * 1000:+.0f} ms" for name, skew in skews.items())
    return f"within {MAX_CLOCK_SKEW_S:g} s ({shown or 'one clock: SQLite and no broker'}; now {_utc_now()})"


def _redis(url: str, settings: Settings) -> aioredis.Redis:
    return aioredis.Redis.from_url(url, socket_connect_timeout=settings.readiness_timeout_s)


def _where(url: str) -> str:
    """Host and port of a URL, never its credentials."""
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port or 6379}"


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
