"""The upstream side as one request's app sees it: the providers it offers, a link's refresh budget."""

from __future__ import annotations

import uuid

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.models.link import Link
from gateway.state import get_app_state
from gateway.upstreams.configuration import provider_configuration
from providers.base import RefreshBudget


async def offered_providers(
    request: Request, session: AsyncSession, app_id: uuid.UUID, *, searching: str | None = None
) -> set[str]:
    """The providers the app offers its end users: what its institution lists and searches show. When
    the caller is `searching` by name, upstreams searched rather than listed (Plaid) are asked first,
    with the app's keys, and what they find joins the directory."""
    state = get_app_state(request)
    offered = await provider_configuration.offered(session, app_id, state.providers)
    if searching:
        box = SecretBox(state.auth.master_key)
        scoped = await provider_configuration.scoped(session, box, app_id, state.providers)
        await state.discovery.discover(session, scoped, offered, searching)
    return offered


def refresh_budget(request: Request, link: Link) -> RefreshBudget | None:
    """The link's provider's budget (none for a provider this process does not configure: its refresh
    fails on its own, with the reason)."""
    providers = get_app_state(request).providers
    return providers.get(link.provider).budget if providers.offers(link.provider) else None
