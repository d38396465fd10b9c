"""The upstream side as one request's app sees it: the providers it offers, a link's refresh budget."""

from __future__ import annotations

import uuid

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.link import Link
from gateway.state import get_app_state
from gateway.upstreams.configuration import provider_configuration
from providers.base import RefreshBudget


async def offered_providers(request: Request, session: AsyncSession, app_id: uuid.UUID) -> set[str]:
    """The providers the app offers its end users: what its institution lists and searches show."""
    return await provider_configuration.offered(session, app_id, get_app_state(request).providers)


def refresh_budget(request: Request, link: Link) -> RefreshBudget | None:
    """The link's provider's budget (none for a provider this process does not configure: its refresh
    fails on its own, with the reason)."""
    providers = get_app_state(request).providers
    return providers.get(link.provider).budget if providers.offers(link.provider) else None
