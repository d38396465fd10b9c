"""SQL for links, always within one app.

Request handlers read links through `gateway.links.readable`, which narrows to the caller's token;
`link_reader` here serves callers that already hold a link's id from a row of their own app (a refresh
job, a Connect session). Cross-app queries live in `gateway.maintenance`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from gateway.errors import InvalidToken
from gateway.integer_ids.repository import LINK_KINDS, issue
from gateway.models.developer import DEFAULT_ORGANIZATION_KEY, Organization
from gateway.models.link import Link
from gateway.models.refresh import RefreshJob


def organization_clause(organization: str | None) -> ColumnElement[bool]:
    """Links of `organization` (a link with none is the app's `default`); `None` means every one."""
    if organization is None:
        return true()
    keyed = select(Organization.id).where(
        Organization.app_id == Link.app_id, Organization.key == organization
    )
    in_organization = Link.organization_id.in_(keyed.scalar_subquery())
    if organization == DEFAULT_ORGANIZATION_KEY:
        return or_(Link.organization_id.is_(None), in_organization)
    return in_organization


async def organization_key_of(session: AsyncSession, link: Link) -> str:
    """The key of the organization a link belongs to."""
    if link.organization_id is None:
        return DEFAULT_ORGANIZATION_KEY
    key = await session.scalar(select(Organization.key).where(Organization.id == link.organization_id))
    return key or DEFAULT_ORGANIZATION_KEY


async def organization_id_of(
    session: AsyncSession, app_id: uuid.UUID, organization: str | None
) -> uuid.UUID | None:
    """The id of the app's organization `organization` (None for the default one, and for none).

    A token names its organization for its whole life; one deleted since is refused (InvalidToken), so a
    link that token makes never falls into `default`, where the organization's users could not see it
    and `default`'s could."""
    if organization is None or organization == DEFAULT_ORGANIZATION_KEY:
        return None
    statement = select(Organization.id).where(Organization.app_id == app_id, Organization.key == organization)
    found = await session.scalar(statement)
    if found is None:
        raise InvalidToken("The organization this token was issued for no longer exists.")
    return found


class LinkReader:
    """One link of an app by id, for callers that hold its id from a row of that app (not a token)."""

    async def get(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, *, for_update: bool = False
    ) -> Link | None:
        statement = (
            select(Link)
            .where(Link.app_id == app_id, Link.id == link_id)
            .options(joinedload(Link.institution, innerjoin=True))
        )
        if for_update:
            statement = statement.with_for_update(of=Link)
        return (await session.execute(statement)).scalar_one_or_none()

    async def require(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, *, for_update: bool = False
    ) -> Link:
        """A link the caller already knows exists (it holds a job or session that names it)."""
        link = await self.get(session, app_id, link_id, for_update=for_update)
        if link is None:
            raise LookupError(f"link {link_id} of app {app_id} is gone")
        return link


link_reader = LinkReader()


async def manual_refreshes_since(
    session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, since: datetime
) -> list[tuple[datetime, list[str]]]:
    """When the link asked for on-demand refreshes since `since`, and of which products (the initial
    and scheduled refreshes do not count)."""
    statement = select(RefreshJob.created_at, RefreshJob.products).where(
        RefreshJob.app_id == app_id, RefreshJob.link_id == link_id, RefreshJob.trigger == "manual",
        RefreshJob.created_at >= since,
    )  # fmt: skip
    return [(created, list(products)) for created, products in (await session.execute(statement)).all()]


async def refreshes_since(
    session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, since: datetime
) -> list[datetime]:
    """When each of the link's refreshes since `since` was asked for, whatever asked (they all call
    the upstream, so they all count against its budget), oldest first."""
    statement = (
        select(RefreshJob.created_at)
        .where(RefreshJob.app_id == app_id, RefreshJob.link_id == link_id, RefreshJob.created_at >= since)
        .order_by(RefreshJob.created_at)
    )
    return list((await session.execute(statement)).scalars())


SERVING_STATES = ("connected", "error")
UNDELETED_STATES = ("connecting", "awaiting_token_exchange", "connected", "error")


async def store_link(session: AsyncSession, link: Link) -> Link:
    """Store a new link, with the integer ids that name it (its Yodlee provider account and consent)."""
    session.add(link)
    await session.flush()
    for kind in LINK_KINDS:
        await issue(session, link.app_id, kind, [link.id])
    return link


async def link_on_connection(
    session: AsyncSession, app_id: uuid.UUID, provider: str, provider_link_id: str
) -> Link | None:
    """The app's undeleted link on this upstream connection (an adopted Item), if there is one."""
    statement = select(Link).where(
        Link.app_id == app_id, Link.provider == provider, Link.provider_link_id == provider_link_id,
        Link.state != "deleted",
    )  # fmt: skip
    return await session.scalar(statement)


async def links_of_user(
    session: AsyncSession, app_id: uuid.UUID, end_user_id: uuid.UUID, states: Sequence[str] = SERVING_STATES
) -> list[Link]:
    """The end user's links in `states` (by default those that still serve data), oldest first."""
    statement = (
        select(Link)
        .where(Link.app_id == app_id, Link.end_user_id == end_user_id, Link.state.in_(states))
        .order_by(Link.created_at, Link.id)
    )
    return list((await session.execute(statement)).scalars())


async def refresh_in_progress(session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID) -> bool:
    """Whether a refresh of the link is waiting or running."""
    statement = select(RefreshJob.id).where(
        RefreshJob.app_id == app_id, RefreshJob.link_id == link_id,
        RefreshJob.status.in_(("pending", "running")),
    )  # fmt: skip
    return (await session.execute(statement.limit(1))).first() is not None
