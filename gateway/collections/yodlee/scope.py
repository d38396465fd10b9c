"""The provider accounts (links) a user token may touch, found by their Yodlee ids."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from formats.yodlee import render
from gateway.auth.principal import AppPrincipal
from gateway.collections.yodlee.errors import invalid_value
from gateway.collections.yodlee.providers import provider_numbers
from gateway.collections.yodlee.repository import PROVIDER_ACCOUNT_STATES, refreshing
from gateway.integer_ids.repository import IdKind, numbers_of, resolve
from gateway.links.direct import pending_challenge
from gateway.links.readable import links_in_states
from gateway.models.account import Account
from gateway.models.link import Link


async def links_of_token(
    session: AsyncSession, principal: AppPrincipal, *, with_institution: bool = True
) -> list[Link]:
    """The token user's provider accounts (PROVIDER_ACCOUNT_STATES) as the token may read them (its
    organization's only), oldest first; none when the user does not exist yet."""
    return await links_in_states(
        session, principal, states=PROVIDER_ACCOUNT_STATES, with_institution=with_institution
    )


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


async def link_by_id(
    session: AsyncSession, principal: AppPrincipal, number: int, name: str = "providerAccountId"
) -> Link:
    return (await links_by_ids(session, principal, [number], name))[0]


async def chosen_accounts(
    session: AsyncSession, accounts: list[Account], numbers: list[int], name: str = "accountId"
) -> list[Account]:
    """The accounts among `accounts` (the caller's) that `numbers` name; any other number is Y800."""
    if not accounts:
        raise invalid_value(name)
    resolved = await resolve(session, accounts[0].app_id, IdKind.account, numbers)
    own = {account.id: account for account in accounts}
    if any(number not in resolved or resolved[number] not in own for number in numbers):
        raise invalid_value(name)
    return [own[resolved[number]] for number in numbers]


async def provider_account_ids(session: AsyncSession, links: list[Link]) -> dict[uuid.UUID, int]:
    if not links:
        return {}
    return await numbers_of(session, links[0].app_id, IdKind.provider_account, [link.id for link in links])


async def rendered_provider_accounts(
    session: AsyncSession, links: list[Link], *, request_id: str | None = None
) -> list[dict[str, Any]]:
    if not links:
        return []
    ids = await provider_account_ids(session, links)
    consents = await numbers_of(session, links[0].app_id, IdKind.consent, [link.id for link in links])
    busy = await refreshing(session, links[0].app_id, [link.id for link in links])
    providers = await provider_numbers(session, [link.institution_id for link in links])
    challenges = {
        link.id: await pending_challenge(session, link) for link in links if link.state == "connecting"
    }
    return [
        render.provider_account(
            provider_account_id=ids[link.id],
            consent_id=consents[link.id],
            provider_id=providers.get(link.institution_id, 0),
            status=render.provider_account_status(
                link.state, link.id in busy, challenges.get(link.id) is not None
            ),
            challenge=challenges.get(link.id),
            products=list(link.products),
            created=link.created_at,
            last_updated=link.last_synced_at,
            error_code=link.error_code,
            request_id=request_id,
        )  # fmt: skip
        for link in links
    ]
