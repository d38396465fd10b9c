"""The provider adapters a process offers, built from settings with their HTTP client injected."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from gateway.metrics.upstream import MeteredTransport
from gateway.outbound.transport import outbound_client
from gateway.settings import Environment, Settings
from providers.base import ProviderAdapter
from providers.plaid.adapter import PlaidProvider
from providers.plaid.client import PlaidClient
from providers.plaid.settings import PlaidSettings
from providers.registry import ProviderRegistry
from providers.sandbox.adapter import SandboxProvider
from providers.simplefin.adapter import SimpleFinProvider
from providers.simplefin.client import SimpleFinClient
from providers.simplefin.settings import SimpleFinSettings

USER_AGENT = "Linkgate/1 (+https://github.com/linkgate)"


def upstream_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client (connection pool) a process calls upstreams with; adapters set their own
    timeouts per call. Private addresses follow the outbound rule, checked on the address dialled.
    Each call is counted (gateway/metrics/upstream.py)."""
    return outbound_client(
        timeout_s=settings.simplefin_timeout_s,
        allow_private_networks=bool(settings.outbound_allow_private_networks),
        user_agent=USER_AGENT,
        wrap=MeteredTransport,
    )


def build_registry(settings: Settings, http: httpx.AsyncClient) -> ProviderRegistry:
    """The sandbox always; each upstream when it is enabled."""
    adapters: dict[str, ProviderAdapter] = {"sandbox": SandboxProvider()}
    if settings.simplefin_enabled:
        simplefin = SimpleFinSettings(
            allowed_hosts=tuple(settings.simplefin_allowed_hosts),
            require_https=settings.env is Environment.production,
            requests_per_day=settings.simplefin_requests_per_day,
            overlap_days=settings.simplefin_overlap_days,
            timeout_s=settings.simplefin_timeout_s,
        )
        adapters["simplefin"] = SimpleFinProvider(simplefin, SimpleFinClient(http, simplefin))
    if settings.plaid_enabled:
        plaid = plaid_settings(settings)
        adapters["plaid"] = PlaidProvider.for_operator(plaid, PlaidClient(http, plaid))
    return ProviderRegistry(adapters, priority=settings.provider_priority)


def plaid_settings(settings: Settings) -> PlaidSettings:
    """`LINKGATE_PLAID_*`; Items report to Linkgate's inbound endpoint for Plaid."""
    return PlaidSettings(
        client_id=settings.plaid_client_id,
        secret=_secret(settings.plaid_secret),
        environment=settings.plaid_environment,
        sandbox_secret=_secret(settings.plaid_sandbox_secret),
        base_url=settings.plaid_base_url,
        link_script_url=settings.plaid_link_script_url,
        webhook_url=f"{settings.base_url.rstrip('/')}/v1/providers/plaid/webhooks",
        timeout_s=settings.plaid_timeout_s,
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
