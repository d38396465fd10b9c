"""Which links a caller's token lets it see: all of the app's, one end user's, or one link; and, for user
and item tokens, only those of the token's organization (a link without one is the app's `default`).

Generic tokens carry no organization and see every link of their app. A user or item token names one
organization, and a link of another answers exactly like a missing one, on every collection.

Collections whose helpers receive an end user rather than the principal (MX) record the principal's
organization on the request's unit of work with `limit_to_organization` when they admit the user, and
read it back with `organization_limit`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import AppPrincipal
from gateway.auth.tokens import TokenKind
from gateway.end_users.repository import end_user_repository
from gateway.links.repository import organization_key_of
from gateway.models.link import Link

_ORGANIZATION_LIMIT = "linkgate.organization_limit"


async def in_organization(session: AsyncSession, organization: str | None, link: Link) -> bool:
    """Whether `link` belongs to `organization` (None: a caller limited to no organization)."""
    return organization is None or await organization_key_of(session, link) == organization


async def link_visible_to(session: AsyncSession, principal: AppPrincipal, link: Link) -> bool:
    """Whether a link of the principal's app is within its token (item tokens: that link; user: theirs;
    both: in the token's organization)."""
    if not await in_organization(session, principal.organization, link):
        return False
    if principal.kind is TokenKind.item:
        return principal.item == str(link.id)
    if principal.kind is TokenKind.user:
        assert principal.user is not None
        assert principal.user_field is not None
        user = await end_user_repository.find(
            session, principal.app_id, field=principal.user_field, value=principal.user
        )
        return user is not None and user.id == link.end_user_id
    return True


async def visible_links(session: AsyncSession, principal: AppPrincipal, links: Sequence[Link]) -> list[Link]:
    """The links among `links` that the principal's token lets it see."""
    return [link for link in links if await link_visible_to(session, principal, link)]


def limit_to_organization(session: AsyncSession, principal: AppPrincipal) -> None:
    """Remember, for this unit of work, the organization the admitted principal is limited to."""
    session.info[_ORGANIZATION_LIMIT] = principal.organization


def organization_limit(session: AsyncSession) -> str | None:
    """The organization this unit of work's principal is limited to; None when it is not limited."""
    limit: str | None = session.info.get(_ORGANIZATION_LIMIT)
    return limit
