"""Upstream webhooks: a verified one becomes a durable refresh of each link it concerns, or the change
of state it announces (a login needed again or repaired, consent running out, new accounts).

Finding the links is cross-tenant by design (`gateway.maintenance.queries.links_on_connections`): an
upstream names its own connections, not our apps. It happens only after the adapter verified the
webhook, and the caller learns nothing but that it was accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.errors import NotFound, Unauthenticated
from gateway.links.service import link_service
from gateway.maintenance.queries import links_on_connections
from gateway.models.link import Link
from gateway.upstreams.configuration import provider_configuration
from gateway.webhooks.events import publish_event
from providers.base import InboundWebhook, NamesConnections, ProviderAdapter, WebhookRefused
from providers.registry import ProviderRegistry


async def accept_webhook(
    session: AsyncSession,
    box: SecretBox,
    providers: ProviderRegistry,
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
) -> int:
    """Verify the webhook with the provider's adapter and queue a refresh of each link it concerns, in
    the caller's unit of work (the upstream hears 2xx only once those rows are committed)."""
    if not providers.offers(provider):
        raise NotFound("No such provider.")
    news: InboundWebhook | None = None
    refusal = WebhookRefused("nobody could verify it")
    for adapter in await _verifiers(session, box, providers, provider, body):
        try:
            news = await adapter.verify_webhook(headers, body)
            break
        except WebhookRefused as exc:
            refusal = exc
    if news is None:
        raise Unauthenticated(f"The webhook could not be verified: {refusal}")
    links = await links_on_connections(session, provider, news.provider_link_ids)
    for link in links:
        await _act(session, link, news)
    return len(links)


async def _verifiers(
    session: AsyncSession, box: SecretBox, providers: ProviderRegistry, provider: str, body: bytes
) -> list[ProviderAdapter]:
    """Who may verify, in turn: the operator's adapter, or, when the operator set no keys, the adapter
    with the keys of each app with a link on the connection the body names (unverified, it only picks
    whose keys fetch the upstream's key; each verification is whole)."""
    adapter = providers.get(provider)
    if adapter.serves_without_app_keys or not isinstance(adapter, NamesConnections):
        return [adapter]
    links = await links_on_connections(session, provider, adapter.connections_named(body))
    apps = list(dict.fromkeys(link.app_id for link in links))
    return [adapter] + [
        (await provider_configuration.scoped(session, box, app_id, providers)).get(provider)
        for app_id in apps
    ]


async def _act(session: AsyncSession, link: Link, news: InboundWebhook) -> None:
    """What the news means for one link; the app hears it through its webhook, in its format."""
    match news.notice:
        case "refresh" if link.state == "connected":
            await link_service.request_refresh(
                session, link, list(news.products) or link.products, trigger="webhook"
            )
        case "login_required" if link.state == "connected":
            await link_service.force_reconnect(session, link, "auth_expired")
        case "permission_revoked" if link.state == "connected":
            await link_service.force_reconnect(
                session, link, "auth_expired", reason="user_permission_revoked"
            )
        case "login_repaired":
            await link_service.login_repaired(session, link)
        case "consent_expiring":
            await publish_event(session, app_id=link.app_id, link=link, event_type="link.consent_expiring",
                                payload=dict(news.details))  # fmt: skip
        case "new_accounts":
            await publish_event(session, app_id=link.app_id, link=link,
                                event_type="link.new_accounts_available", payload={})  # fmt: skip
