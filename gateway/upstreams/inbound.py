"""Upstream webhooks: a verified one becomes a durable refresh of each link it concerns.

Finding the links is cross-tenant by design (`gateway.maintenance.queries.links_on_connections`): an
upstream names its own connections, not our apps. It happens only after the adapter verified the
webhook, and the caller learns nothing but that it was accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import NotFound, Unauthenticated
from gateway.links.service import link_service
from gateway.maintenance.queries import links_on_connections
from providers.base import WebhookRefused
from providers.registry import ProviderRegistry


async def accept_webhook(
    session: AsyncSession,
    providers: ProviderRegistry,
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
) -> int:
    """Verify the webhook with the provider's adapter and queue a refresh of each link it concerns, in
    the caller's unit of work (the upstream hears 2xx only once those rows are committed)."""
    if not providers.offers(provider):
        raise NotFound("No such provider.")
    try:
        news = await providers.get(provider).verify_webhook(headers, body)
    except WebhookRefused as exc:
        raise Unauthenticated(f"The webhook could not be verified: {exc}") from exc
    links = await links_on_connections(session, provider, news.provider_link_ids)
    for link in links:
        await link_service.request_refresh(
            session, link, list(news.products) or link.products, trigger="webhook"
        )
    return len(links)
