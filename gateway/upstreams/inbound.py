"""Upstream webhooks: a verified one becomes a durable refresh of each link it concerns.

Finding the links is cross-tenant by design: an upstream names its own connections, not our apps, so
this looks them up across every app. It is called only from the inbound webhook route, after the
adapter verified the webhook, and never returns anything to the caller but a count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import NotFound, Unauthenticated
from gateway.links.service import link_service
from gateway.models.link import Link
from providers.base import WebhookRefused
from providers.registry import ProviderRegistry

REFRESHABLE_STATES = ("connected", "error")


async def _links_of_connections(
    session: AsyncSession, provider: str, connections: Sequence[str]
) -> list[Link]:
    """Every app's links on these upstream connections (cross-tenant by design, see the module)."""
    if not connections:
        return []
    statement = select(Link).where(
        Link.provider == provider,
        Link.provider_link_id.in_(list(connections)),
        Link.state.in_(REFRESHABLE_STATES),
    )
    return list((await session.execute(statement)).scalars())


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
    links = await _links_of_connections(session, provider, news.provider_link_ids)
    for link in links:
        await link_service.request_refresh(
            session, link, list(news.products) or link.products, trigger="webhook"
        )
    return len(links)
