"""What the app holds for its lifetime: settings, the database, the broker probe, error renderers, the
provider adapters."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from gateway.auth.authenticator import Authenticator
from gateway.auth.client_address import IPNetwork
from gateway.db import Database
from gateway.exception_handlers import ErrorRenderers
from gateway.health.checks import BrokerProbe
from gateway.institutions.discovery import InstitutionDiscovery
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from providers.registry import ProviderRegistry


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


def get_app_state(request: Request) -> AppState:
    state: AppState = request.app.state.linkgate
    return state
