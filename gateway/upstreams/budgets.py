"""How often an upstream lets a link be read: its adapter's budget, for the collections' refresh routes."""

from __future__ import annotations

from fastapi import Request

from gateway.models.link import Link
from gateway.state import get_app_state
from providers.base import RefreshBudget


def refresh_budget(request: Request, link: Link) -> RefreshBudget | None:
    """The link's provider's budget (none for a provider this process does not configure: its refresh
    fails on its own, with the reason)."""
    providers = get_app_state(request).providers
    return providers.get(link.provider).budget if providers.offers(link.provider) else None
