"""What the app holds for its lifetime: settings, the database, the broker probe, error renderers, the
provider adapters."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request

from gateway.auth.authenticator import Authenticator
from gateway.auth.client_address import IPNetwork
from gateway.db import Database
from gateway.exception_handlers import ErrorRenderers
from gateway.health.checks import BrokerProbe
from gateway.institutions.discovery import InstitutionDiscovery
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from gateway.transactions.read_ahead import ReadAhead
from providers.registry import ProviderRegistry

if TYPE_CHECKING:  # it imports the webhook service, which imports collections that import this module
    from gateway.metrics.database import DatabaseGauges


@dataclass
class AppState:
    settings: Settings
    database: Database
    broker_probe: BrokerProbe | None
    error_renderers: ErrorRenderers
    auth: Authenticator
    rate_limiter: RateLimiter
    trusted_proxies: tuple[IPNetwork, ...]
    providers: ProviderRegistry
    discovery: InstitutionDiscovery = field(default_factory=InstitutionDiscovery)
    # Pages read ahead of the request that will ask for them; each collection keys them by a NamedTuple
    # of its own (`ReadAhead` keeps types apart) and knows what its keys hold.
    read_ahead: ReadAhead[Hashable, Any] = field(default_factory=lambda: ReadAhead(entries=0))
    # Read when /metrics is scraped; None when metrics are not served on the API port.
    metrics_gauges: DatabaseGauges | None = None


def get_app_state(request: Request) -> AppState:
    state: AppState = request.app.state.linkgate
    return state
