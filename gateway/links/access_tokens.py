"""Long-lived access tokens that name one link (Plaid's `access_token`); only their SHA-256 is stored.

A token lives as long as its link: once the link is deleted, the token finds nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from gateway.links.sessions import token_hash
from gateway.models.link import Link, LinkAccessToken


async def issue_access_token(session: AsyncSession, link: Link, *, prefix: str) -> str:
    """A new token for `link`: `prefix` then a random UUID (122 random bits), as Plaid's look."""
    token = f"{prefix}{uuid.uuid4()}"
    session.add(LinkAccessToken(app_id=link.app_id, link_id=link.id, token_hash=token_hash(token)))
    await session.flush()
    return token


async def link_for_access_token(
    session: AsyncSession, app_id: uuid.UUID, token: str, *, for_update: bool = False
) -> Link | None:
    """The app's live (not deleted) link this token names, with its institution; None otherwise."""
    statement = (
        select(Link)
        .join(LinkAccessToken, LinkAccessToken.link_id == Link.id)
        .where(
            LinkAccessToken.app_id == app_id,
            LinkAccessToken.token_hash == token_hash(token),
            Link.app_id == app_id,
            Link.state != "deleted",
        )
        .options(joinedload(Link.institution, innerjoin=True))
    )
    if for_update:
        statement = statement.with_for_update(of=Link)
    return (await session.execute(statement)).scalar_one_or_none()
