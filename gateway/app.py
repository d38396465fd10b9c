"""The application factory: middleware, routers, error handlers and lifespan resources."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from gateway import __version__
from gateway.access_log import log_request
from gateway.auth.authenticator import Authenticator
from gateway.auth.client_address import parse_networks
from gateway.auth.dependencies import SECURITY_SCHEMES
from gateway.auth.throttle import AddressRateLimitMiddleware
from gateway.collections.connect.api import router as connect_api_router
from gateway.collections.connect.headers import ConnectSecurityHeadersMiddleware, origin_of
from gateway.collections.connect.pages import router as connect_pages_router
from gateway.collections.dashboard.audit import router as dashboard_audit_router
from gateway.collections.dashboard.endpoints import router as dashboard_router
from gateway.collections.dashboard.links import router as dashboard_links_router
from gateway.collections.dashboard.providers import router as dashboard_providers_router
from gateway.collections.developer.endpoints import router as developer_router
from gateway.collections.gateway.authenticate import router as gateway_router
from gateway.collections.moneykit.errors import render_moneykit_error
from gateway.collections.moneykit.router import PREFIX as MONEYKIT_PREFIX
from gateway.collections.moneykit.router import router as moneykit_router
from gateway.collections.mx.errors import render_mx_error
from gateway.collections.mx.router import PREFIX as MX_PREFIX
from gateway.collections.mx.router import router as mx_router
from gateway.collections.oauth.endpoints import router as oauth_router
from gateway.collections.oauth.errors import render_oauth_error
from gateway.collections.plaid.errors import render_plaid_error
from gateway.collections.plaid.router import PREFIX as PLAID_PREFIX
from gateway.collections.plaid.router import router as plaid_router
from gateway.collections.upstreams.connections import router as upstream_connections_router
from gateway.collections.upstreams.webhooks import router as upstream_webhooks_router
from gateway.collections.webhooks.endpoints import router as webhooks_router
from gateway.collections.yodlee.errors import render_yodlee_error
from gateway.collections.yodlee.router import PREFIX as YODLEE_PREFIX
from gateway.collections.yodlee.router import router as yodlee_router
from gateway.db import Database
from gateway.exception_handlers import ErrorRenderers, install_exception_handlers
from gateway.health.checks import BrokerProbe, RedisProbe
from gateway.health.endpoints import router as health_router
from gateway.institutions.catalog import sync_institutions
from gateway.metrics.database import DatabaseGauges
from gateway.metrics.exposition import router as metrics_router
from gateway.metrics.http import HttpMetrics
from gateway.metrics.multiprocess import directory as metrics_directory
from gateway.metrics.multiprocess import forget_live_gauges_at_exit, use_directory
from gateway.metrics.pools import track_pool
from gateway.middleware import (
    BodySizeLimitMiddleware,
    CollapseSlashesMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from gateway.observability import tracing
from gateway.observability.requests import RequestObserver, RequestOutcomeMiddleware
from gateway.ratelimit import MemoryRateLimiter, RedisRateLimiter, counter_client
from gateway.settings import Settings, get_settings
from gateway.state import AppState
from gateway.transactions.read_ahead import ReadAhead
from gateway.upstreams.registry import build_registry, upstream_client
from providers.registry import ProviderRegistry
from workers.enqueue import send_task_request

DESCRIPTION = (
    "Linkgate links end users' bank logins and serves accounts, balances, identity, account numbers, "
    "transactions and investments in the Plaid, MX, Yodlee and MoneyKit wire formats."
)


def freeze_startup_objects() -> None:
    """Move everything built so far out of the cyclic collector's reach (`gc.freeze`).

    The app's routes, models, schemas and SQLAlchemy's mappers are about 175,000 objects that
    live as long as the process; every full collection walked them all, and a page of transactions
    allocates enough to trigger collections often: about a third of the Python time of a 500-row
    `/transactions/sync` page (bench/RESULTS.md). They are still freed normally if dropped."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, broker_probe: BrokerProbe | None = None) -> FastAPI:
    """Build the gateway. With no arguments it reads `LINKGATE_*` settings (used by `uvicorn --factory`)."""
    settings = settings or get_settings()
    settings.check_production_ready()
    tracing.start("linkgate-api")
    renderers = ErrorRenderers()
    serves_metrics = settings.metrics_enabled and settings.metrics_port is None
    if settings.metrics_enabled and settings.metrics_dir is not None and metrics_directory() is None:
        use_directory(settings.metrics_dir)  # started by something other than `linkgate serve`

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database.from_settings(settings, task_sender=send_task_request)
        redis = _redis_client(settings)
        probe = broker_probe or (RedisProbe(redis) if redis is not None else None)
        counters = (
            counter_client(settings.redis_url, settings.readiness_timeout_s) if settings.redis_url else None
        )
        rate_limiter = RedisRateLimiter(counters) if counters is not None else MemoryRateLimiter()
        auth = Authenticator(settings, database, rate_limiter)
        await auth.start()
        upstream_http = upstream_client(settings)
        providers = build_registry(settings, upstream_http)
        await _sync_institutions(database, providers)
        read_ahead: ReadAhead[Hashable, Any] = ReadAhead(entries=settings.read_ahead_pages)
        forget_live_gauges_at_exit()
        track_pool(database.engine, "api")
        app.state.linkgate = AppState(
            settings=settings,
            database=database,
            broker_probe=probe,
            error_renderers=renderers,
            auth=auth,
            rate_limiter=rate_limiter,
            trusted_proxies=parse_networks(settings.trusted_proxies),
            providers=providers,
            read_ahead=read_ahead,
            metrics_gauges=DatabaseGauges.from_settings(settings) if serves_metrics else None,
        )
        freeze_startup_objects()
        try:
            yield
        finally:
            tracing.flush()
            await read_ahead.aclose()
            if redis is not None:
                await redis.aclose()
            if counters is not None:
                await counters.aclose()
            await upstream_http.aclose()
            await database.dispose()

    app = FastAPI(title="Linkgate", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    install_exception_handlers(app, renderers)
    renderers.register("/oauth", render_oauth_error)
    renderers.register(MONEYKIT_PREFIX, render_moneykit_error)
    renderers.register(PLAID_PREFIX, render_plaid_error)
    renderers.register(MX_PREFIX, render_mx_error)
    renderers.register(YODLEE_PREFIX, render_yodlee_error)
    routers = (
        health_router, oauth_router, dashboard_router, dashboard_providers_router, dashboard_links_router,
        dashboard_audit_router,
        developer_router, webhooks_router, moneykit_router, plaid_router, mx_router, yodlee_router,
        connect_api_router, connect_pages_router, gateway_router, upstream_webhooks_router,
        upstream_connections_router,
    )  # fmt: skip
    for router in routers:
        app.include_router(router)
    if serves_metrics:
        app.include_router(metrics_router)
    # Outermost last: the request id must wrap everything, including 413s from the size limit.
    app.add_middleware(CollapseSlashesMiddleware)
    app.add_middleware(AddressRateLimitMiddleware, render_error=renderers.respond)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, render_error=renderers.respond
    )
    app.add_middleware(UnhandledErrorMiddleware, render_error=renderers.respond)
    widgets = [origin_of(settings.plaid_link_script_url)] if settings.plaid_enabled else []
    app.add_middleware(
        ConnectSecurityHeadersMiddleware,
        frame_ancestors=settings.connect_frame_ancestors,
        widget_origins=widgets,
    )
    observers: list[RequestObserver] = (
        [log_request, HttpMetrics()] if settings.metrics_enabled else [log_request]
    )
    app.add_middleware(RequestOutcomeMiddleware, observers=observers)
    app.add_middleware(RequestIdMiddleware)
    tracing.instrument_app(app)  # outside every middleware: the request's span covers them all
    _publish_security_schemes(app)
    return app


def _publish_security_schemes(app: FastAPI) -> None:
    """Routes declare their guards' security in `openapi_extra`; the schemes themselves live here."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _redis_client(settings: Settings) -> aioredis.Redis | None:
    if settings.redis_url is None:
        return None
    timeout = settings.readiness_timeout_s
    return aioredis.from_url(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)


async def _sync_institutions(database: Database, providers: ProviderRegistry) -> None:
    """Providers' institutions into the catalogue; another process doing the same at once is fine."""
    try:
        async with database.unit_of_work() as session:
            await sync_institutions(session, providers)
    except IntegrityError:
        pass  # a concurrent start inserted them first
