"""`linkgate`: serve | migrate | worker | scheduler | bootstrap | keys | doctor | webhooks."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import logging.config
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import uvicorn

from gateway.settings import InsecureConfiguration, Settings, get_settings

if TYPE_CHECKING:
    from gateway.webhooks.replay import ReplayWindow

logger = logging.getLogger("linkgate")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _settings() -> Settings:
    settings = get_settings()
    try:
        settings.check_production_ready()
    except InsecureConfiguration as exc:
        raise click.ClickException(f"refusing to start: {exc}") from exc
    logging.config.dictConfig(logging_config(settings.log_level, as_json=settings.logs_as_json))
    return settings


def logging_config(level: str, *, as_json: bool = False) -> dict[str, Any]:
    """One format for Linkgate's, uvicorn's and the libraries' lines, on stderr: JSON lines or text.

    uvicorn applies it again in each process it starts (`--workers`), where nothing else would configure
    logging; requests are logged by `linkgate.access` (gateway/access_log.py), with secrets redacted."""
    formatter = {"()": "gateway.observability.logs.JsonFormatter"} if as_json else {"format": LOG_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"chosen": formatter},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "chosen", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "alembic.runtime.plugins": {"level": "WARNING"},
            # httpx logs a line per webhook sent at INFO; every attempt is in the database already.
            "httpx": {"level": "WARNING"},
        },
    }


@click.group()
def main() -> None:
    """Linkgate, the financial-data aggregation gateway."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="API processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API. Embedded (no LINKGATE_REDIS_URL): migrations, worker and scheduler run in-process."""
    settings = _settings()
    if settings.is_embedded:
        if workers > 1:
            raise click.ClickException(
                "--workers > 1 needs LINKGATE_REDIS_URL: the embedded broker is per process"
            )
        _start_metrics(settings, with_database=True)
        _serve_embedded(settings, host, port)
        return
    private = _start_metrics(settings, with_database=True, processes=workers)
    try:
        _run_uvicorn("gateway.app:create_app", settings, host=host, port=port, factory=True, workers=workers)
    finally:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)


def _start_metrics(settings: Settings, *, with_database: bool, processes: int = 1) -> Path | None:
    """Set up this command's metrics before anything records one (README "Metrics"): the shared
    directory when one is configured, a private one when this command starts several processes (the
    caller removes it when they are done; returned), and the metrics port when one is set."""
    if not settings.metrics_enabled:
        return None
    from gateway.metrics.exposition import serve_port
    from gateway.metrics.multiprocess import use_directory

    private = None
    if settings.metrics_dir is not None:
        use_directory(settings.metrics_dir)
    elif processes > 1:
        private = Path(tempfile.mkdtemp(prefix="linkgate-metrics-"))
        use_directory(private)
    serve_port(settings, with_database=with_database)
    return private


def _run_uvicorn(app: Any, settings: Settings, **options: Any) -> None:
    uvicorn.run(
        app,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level.lower(),
        log_config=logging_config(settings.log_level, as_json=settings.logs_as_json),
        # Its line holds the raw query, tokens included; `linkgate.access` logs requests instead.
        access_log=False,
        # Forwarded headers are interpreted by Linkgate itself, only from LINKGATE_TRUSTED_PROXIES.
        proxy_headers=False,
        **options,
    )


def _serve_embedded(settings: Settings, host: str, port: int) -> None:
    from gateway.app import create_app
    from gateway.health.checks import EmbeddedWorkerProbe
    from gateway.migrate import upgrade_to_head
    from workers.celery_app import celery_app
    from workers.embedded import EmbeddedWorker

    upgrade_to_head(settings.database_url)
    first_start = asyncio.run(_bootstrap_if_empty(settings))
    if first_start is not None:
        click.echo(_credentials_banner(first_start))
    worker = EmbeddedWorker(celery_app, threads=settings.embedded_worker_threads)
    worker.start()
    try:
        app = create_app(settings, broker_probe=EmbeddedWorkerProbe(worker.is_alive))
        _run_uvicorn(app, settings, host=host, port=port)
    finally:
        worker.stop()


@main.command()
def migrate() -> None:
    """Apply database migrations up to the newest revision."""
    from gateway.migrate import upgrade_to_head

    settings = _settings()
    upgrade_to_head(settings.database_url)
    click.echo("database is at the newest revision")


@main.command()
@click.option(
    "--concurrency", default=8, show_default=True, type=click.IntRange(min=1), help="Worker threads."
)
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int, loglevel: str) -> None:
    """Run a Celery worker (distributed mode)."""
    settings = _settings()
    if settings.is_embedded:
        raise click.ClickException(
            "set LINKGATE_REDIS_URL: in embedded mode the worker runs inside `linkgate serve`"
        )
    _start_metrics(settings, with_database=False)
    from workers.celery_app import celery_app

    celery_app.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            f"--concurrency={concurrency}",
            # Threads: the work waits on HTTP and the database, and each thread keeps its own event loop.
            "--pool=threads",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@main.command()
@click.option("--loglevel", default="INFO", show_default=True)
def scheduler(loglevel: str) -> None:
    """Run the periodic scheduler (distributed mode). Extra schedulers stand by; only one is active."""
    settings = _settings()
    if settings.is_embedded:
        raise click.ClickException(
            "set LINKGATE_REDIS_URL: in embedded mode the scheduler runs inside `linkgate serve`"
        )
    _start_metrics(settings, with_database=False)
    from workers.celery_app import celery_app
    from workers.scheduler import SingletonScheduler

    scheduler_path = f"{SingletonScheduler.__module__}:{SingletonScheduler.__name__}"
    celery_app.Beat(scheduler=scheduler_path, loglevel=loglevel, max_interval=5).run()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--email", default=None, help="The developer's email (default: LINKGATE_BOOTSTRAP_EMAIL).")
def bootstrap(as_json: bool, email: str | None) -> None:
    """Create (or find by email) a developer with a sandbox app, and issue an API key for it."""
    from gateway.migrate import upgrade_to_head

    settings = _settings()
    if settings.is_sqlite:
        upgrade_to_head(settings.database_url)
    result = asyncio.run(_bootstrap(settings, email or settings.bootstrap_email))
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(_credentials_banner(result))


@main.group()
def keys() -> None:
    """Token signing keys."""


@keys.command()
def rotate() -> None:
    """Add a new signing key. Earlier keys keep verifying (and stay in the JWKS) until their tokens expire."""
    from gateway.migrate import upgrade_to_head

    settings = _settings()
    if settings.is_sqlite:
        upgrade_to_head(settings.database_url)
    kid = asyncio.run(_rotate(settings))
    click.echo(f"new signing key {kid} is active; API processes pick it up within a minute")


async def _rotate(settings: Settings) -> str:
    from gateway.auth.signing_keys import rotate_signing_key
    from gateway.auth.tokens import LONGEST_API_TOKEN_S
    from gateway.crypto import SecretBox
    from gateway.db import Database

    database = Database.from_settings(settings)
    try:
        async with database.unit_of_work() as session:
            return await rotate_signing_key(
                session, SecretBox(settings.master_key()), longest_token_s=LONGEST_API_TOKEN_S
            )
    finally:
        await database.dispose()


async def _bootstrap(settings: Settings, email: str) -> dict[str, str | bool]:
    from gateway.db import Database
    from gateway.developers.service import developer_service

    database = Database.from_settings(settings)
    try:
        async with database.unit_of_work() as session:
            result = await developer_service.bootstrap(session, email=email, master_key=settings.master_key())
        return result.as_json()
    finally:
        await database.dispose()


async def _bootstrap_if_empty(settings: Settings) -> dict[str, str | bool] | None:
    from gateway.db import Database
    from gateway.developers.service import developer_service

    database = Database.from_settings(settings)
    try:
        async with database.unit_of_work() as session:
            if await developer_service.has_developers(session):
                return None
            result = await developer_service.bootstrap(
                session, email=settings.bootstrap_email, master_key=settings.master_key()
            )
        return result.as_json()
    finally:
        await database.dispose()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per check.")
def doctor(as_json: bool) -> None:
    """Check this deployment: settings, database, migrations, broker, providers and clocks. Exits 1 when a
    check fails."""
    from gateway.health.doctor import diagnose

    settings = get_settings()  # not _settings(): insecure production settings are a finding here
    logging.config.dictConfig(logging_config("WARNING", as_json=settings.logs_as_json))
    findings = asyncio.run(diagnose(settings))
    for finding in findings:
        if as_json:
            click.echo(json.dumps(finding.as_json()))
        else:
            click.echo(f"{'ok  ' if finding.ok else 'FAIL'} {finding.check:<10} {finding.detail}")
    if not all(finding.ok for finding in findings):
        sys.exit(1)


@main.group()
def webhooks() -> None:
    """Webhook deliveries."""


@webhooks.command()
@click.option("--app", "app_id", required=True, help="The app whose deliveries to send again.")
@click.option(
    "--since", required=True, help="Deliveries that ended at or after this time (ISO 8601; UTC if no zone)."
)
@click.option("--until", default=None, help="... and before this time (default: now).")
@click.option(
    "--status", type=click.Choice(["failed", "succeeded", "all"]), default="failed", show_default=True,
    help="Which ended deliveries.",
)  # fmt: skip
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--dry-run", is_flag=True, help="List them, send nothing.")
def replay(app_id: str, since: str, until: str | None, status: str, limit: int, dry_run: bool) -> None:
    """Send an app's ended deliveries again (same body, same URL, a new webhook-id), through the durable
    path: each is a new delivery, first tried as soon as it is stored and retried as usual."""
    from gateway.webhooks.replay import EndedStatus, ReplayWindow

    settings = _settings()
    statuses: tuple[EndedStatus, ...] = (
        ("failed", "succeeded") if status == "all" else (cast(EndedStatus, status),)
    )
    window = ReplayWindow(
        app_id=_uuid(app_id, "--app"), since=_moment(since, "--since"),
        until=_moment(until, "--until") if until is not None else None, statuses=statuses, limit=limit,
    )  # fmt: skip
    for line in asyncio.run(_replay(settings, window, dry_run=dry_run)):
        click.echo(line)


async def _replay(settings: Settings, window: ReplayWindow, *, dry_run: bool) -> list[str]:
    from gateway.db import Database
    from gateway.developers.repository import developer_repository
    from gateway.webhooks.replay import ended_deliveries, replay
    from workers.enqueue import send_task_request

    # Embedded mode has no broker this process could reach: the server's sweeper sends what is due.
    database = Database.from_settings(
        settings, task_sender=None if settings.is_embedded else send_task_request
    )
    try:
        async with database.unit_of_work() as session:
            if await developer_repository.find_app(session, window.app_id) is None:
                raise click.ClickException(f"no app {window.app_id}")
            if dry_run:
                ended = await ended_deliveries(session, window)
                listed = [
                    f"would send {d.id} again ({d.status} at {d.finished_at:%Y-%m-%dT%H:%M:%SZ})"
                    for d in ended
                ]
                return [*listed, f"{len(ended)} to send"]
            pairs = await replay(session, window)
        return [
            *(f"sent {ended.id} again as {again.id}" for ended, again in pairs),
            f"{len(pairs)} sent again",
        ]
    finally:
        await database.dispose()


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an id", param_hint=option) from exc


def _moment(value: str, option: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=option) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _credentials_banner(credentials: dict[str, str | bool]) -> str:
    lines = ["", "Linkgate sandbox credentials (the secret is shown only now; keep it safe):"]
    lines += [
        f"  {name:<14} {credentials[name]}"
        for name in ("developer_id", "app_id", "client_id", "client_secret")
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
