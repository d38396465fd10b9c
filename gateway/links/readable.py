"""What a caller may read: the links its principal reaches, as one SQL statement built in one place.

Every request-path read of links starts here (the way Polar's repositories start from
`get_readable_statement`), and the account and transaction readers are handed only links found here,
so no collection narrows by hand:

- app: always the principal's app;
- organization: a user or item token names one, and reads only that organization's links (a link
  with none is the app's `default`); generic tokens carry none and read every organization's;
- user: a user token reads only the links of the end user its `user_field` / `user` claim names
  (none when that user does not exist yet);
- item: an item token reads only its one link.

A link outside the statement answers exactly like a missing one: `get_link` gives None for both.
Queries that cross apps on purpose (scheduler, sweeper, retention) live in `gateway.maintenance`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from gateway.auth.principal import AppPrincipal
from gateway.auth.tokens import TokenKind
from gateway.end_users.repository import USER_ID_COLUMNS
from gateway.links.repository import SERVING_STATES, organization_clause
from gateway.models.end_user import EndUser
from gateway.models.link import Link


def token_narrowing(principal: AppPrincipal) -> list[ColumnElement[bool]]:
    """The conditions on `Link` a principal's token adds to its app's (empty for generic tokens)."""
    conditions: list[ColumnElement[bool]] = []
    if principal.organization is not None:
        conditions.append(organization_clause(principal.organization))
    if principal.kind is TokenKind.item:
        conditions.append(_item_clause(principal.item))
    elif principal.kind is TokenKind.user:
        conditions.append(_user_clause(principal))
    return conditions


def readable_conditions(principal: AppPrincipal) -> list[ColumnElement[bool]]:
    """Every condition on `Link` that keeps a statement within what the principal may read."""
    return [Link.app_id == principal.app_id, *token_narrowing(principal)]


def readable_links(principal: AppPrincipal) -> Select[Link]:
    """The links the principal may read, in any state (callers narrow by state themselves)."""
    return select(Link).where(*readable_conditions(principal))


def readable_link_ids(principal: AppPrincipal) -> Select[uuid.UUID]:
    """The ids of `readable_links`, for `link_id IN (...)` narrowing of accounts and transactions."""
    return select(Link.id).where(*readable_conditions(principal))


# Built once: most reads of one link come with a generic token, which narrows nothing but the app, and
# building and keying a statement with a joined load cost more than running it.
_APP_LINK = (
    select(Link)
    .where(Link.app_id == bindparam("app_id"), Link.id == bindparam("link_id"))
    .options(joinedload(Link.institution, innerjoin=True))
)
_APP_LINK_FOR_UPDATE = _APP_LINK.with_for_update(of=Link)


async def get_link(
    session: AsyncSession, principal: AppPrincipal, link_id: uuid.UUID, *, for_update: bool = False
) -> Link | None:
    """The link with its institution, in any state; None when it is missing or not the principal's to
    read (another tenant's, organization's, user's or item's), the two alike."""
    if not token_narrowing(principal):
        built = _APP_LINK_FOR_UPDATE if for_update else _APP_LINK
        parameters = {"app_id": principal.app_id, "link_id": link_id}
        return (await session.execute(built, parameters)).scalar_one_or_none()
    statement = (
        readable_links(principal)
        .where(Link.id == link_id)
        .options(joinedload(Link.institution, innerjoin=True))
    )
    if for_update:
        statement = statement.with_for_update(of=Link)
    return (await session.execute(statement)).scalar_one_or_none()


async def can_read(session: AsyncSession, principal: AppPrincipal, link: Link) -> bool:
    """Whether a link already loaded within the principal's app (e.g. by its access token) is within
    its token too; generic tokens without an organization cost no query."""
    if link.app_id != principal.app_id:
        return False
    narrowing = token_narrowing(principal)
    if not narrowing:
        return True
    statement = select(Link.id).where(Link.id == link.id, Link.app_id == principal.app_id, *narrowing)
    return (await session.execute(statement)).first() is not None


async def link_page(
    session: AsyncSession, principal: AppPrincipal, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Link]:
    """Readable links that serve data (connected or in error), oldest first, keyset-paged after
    `(created_at, id)`."""
    statement = readable_links(principal).where(Link.state.in_(SERVING_STATES))
    if after is not None:
        created, last_id = after
        statement = statement.where(
            or_(Link.created_at > created, and_(Link.created_at == created, Link.id > last_id))
        )
    statement = statement.order_by(Link.created_at, Link.id).limit(limit)
    return list((await session.execute(statement)).scalars())


async def links_in_states(
    session: AsyncSession,
    principal: AppPrincipal,
    *,
    states: Sequence[str] = SERVING_STATES,
    end_user_id: uuid.UUID | None = None,
    with_institution: bool = False,
) -> list[Link]:
    """The readable links in `states` (by default those that serve data), of one end user when
    `end_user_id` is given (a user token's are its own user's already), oldest first."""
    statement = readable_links(principal).where(Link.state.in_(states))
    if end_user_id is not None:
        statement = statement.where(Link.end_user_id == end_user_id)
    if with_institution:
        statement = statement.options(joinedload(Link.institution, innerjoin=True))
    return list((await session.execute(statement.order_by(Link.created_at, Link.id))).scalars())


async def links_of_end_user(
    session: AsyncSession, principal: AppPrincipal, end_user_id: uuid.UUID
) -> list[Link]:
    """The end user's readable links that serve data (connected or in error), oldest first."""
    return await links_in_states(session, principal, end_user_id=end_user_id)


async def undeleted_links_page(
    session: AsyncSession, principal: AppPrincipal, end_user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Link], int]:
    """One page of the end user's readable links in any state but deleted (connecting ones too), oldest
    first, with their count."""
    conditions = (*readable_conditions(principal), Link.end_user_id == end_user_id, Link.state != "deleted")
    total = (await session.execute(select(func.count()).select_from(Link).where(*conditions))).scalar_one()
    page = (
        select(Link)
        .where(*conditions)
        .options(joinedload(Link.institution, innerjoin=True))
        .order_by(Link.created_at, Link.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(page)).scalars()), int(total)


def _item_clause(item: str | None) -> ColumnElement[bool]:
    try:
        return Link.id == uuid.UUID(item or "")
    except ValueError:
        return false()


def _user_clause(principal: AppPrincipal) -> ColumnElement[bool]:
    if principal.user_field is None or principal.user is None:
        return false()
    column = USER_ID_COLUMNS[principal.user_field]
    user = select(EndUser.id).where(EndUser.app_id == principal.app_id, column == principal.user)
    return Link.end_user_id.in_(user.scalar_subquery())
