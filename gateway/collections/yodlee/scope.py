"""The provider accounts (links) a user token may touch, found by their Yodlee ids."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import AppPrincipal
from gateway.collections.yodlee.access import token_user
from gateway.collections.yodlee.errors import invalid_value
from gateway.collections.yodlee.ids import IdKind, assign, resolve
from gateway.collections.yodlee.providers import provider_id
from gateway.collections.yodlee.repository import refreshing, user_links
from gateway.links.repository import SERVING_STATES
from gateway.links.visibility import in_organization
from gateway.models.link import Link
from providers.yodlee import render


async def links_of_token(session: AsyncSession, principal: AppPrincipal) -> list[Link]:
    """The token user's provider accounts (of the token's organization); none when the user does not
    exist yet."""
    user = await token_user(session, principal)
    links = [] if user is None else await user_links(session, principal.app_id, user.id)
    return [link for link in links if await in_organization(session, principal.organization, link)]


async def links_by_ids(
    session: AsyncSession, principal: AppPrincipal, numbers: list[int] | None, name: str = "providerAccountId"
) -> list[Link]:
    """The token user's provider accounts, narrowed to `numbers`; an id that is not theirs is Y800."""
    links = await links_of_token(session, principal)
    if numbers is None:
        return links
    resolved = await resolve(session, principal.app_id, IdKind.provider_account, numbers)
    by_id = {link.id: link for link in links}
    if any(number not in resolved or resolved[number] not in by_id for number in numbers):
        raise invalid_value(name)
    return [by_id[resolved[number]] for number in numbers]


async def link_by_id(session: AsyncSession, principal: AppPrincipal, number: int) -> Link:
    links = await links_by_ids(session, principal, [number])
    if links[0].state not in SERVING_STATES:
        raise invalid_value("providerAccountId")
    return links[0]


async def provider_account_ids(session: AsyncSession, links: list[Link]) -> dict[uuid.UUID, int]:
    if not links:
        return {}
    return await assign(session, links[0].app_id, IdKind.provider_account, [link.id for link in links])


async def rendered_provider_accounts(
    session: AsyncSession, links: list[Link], *, request_id: str | None = None
) -> list[dict[str, Any]]:
    if not links:
        return []
    ids = await provider_account_ids(session, links)
    busy = await refreshing(session, links[0].app_id, [link.id for link in links])
    return [
        render.provider_account(
            provider_account_id=ids[link.id],
            provider_id=provider_id(link.institution_id),
            status=render.provider_account_status(link.state, link.id in busy),
            products=list(link.products),
            created=link.created_at,
            last_updated=link.last_synced_at,
            error_code=link.error_code,
            request_id=request_id,
        )  # fmt: skip
        for link in links
    ]
