"""Long-lived access tokens that name one link (Plaid's `access_token`); only their SHA-256 is stored.

A token lives as long as its link: once the link is deleted, the token finds nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, bindparam, delete, select
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


async def replace_access_tokens(session: AsyncSession, link: Link, *, prefix: str) -> str:
    """Every token of `link` stops working; returns the one new token that works from now on."""
    await session.execute(
        delete(LinkAccessToken).where(
            LinkAccessToken.app_id == link.app_id, LinkAccessToken.link_id == link.id
        )
    )
    return await issue_access_token(session, link, prefix=prefix)


def _link_by_token_hash() -> Select[Link]:
    return (
        select(Link)
        .join(LinkAccessToken, LinkAccessToken.link_id == Link.id)
        .where(
            LinkAccessToken.app_id == bindparam("app_id"),
            LinkAccessToken.token_hash == bindparam("token_hash"),
            Link.app_id == bindparam("app_id"),
            Link.state != "deleted",
        )
        .options(joinedload(Link.institution, innerjoin=True))
    )


# Built once: every Plaid call runs this, and building and keying the statement cost more than running it.
LINK_BY_TOKEN_HASH = _link_by_token_hash()
LINK_BY_TOKEN_HASH_FOR_UPDATE = _link_by_token_hash().with_for_update(of=Link)


async def link_for_access_token(
    session: AsyncSession, app_id: uuid.UUID, token: str, *, for_update: bool = False
) -> Link | None:
    """The app's live (not deleted) link this token names, with its institution; None otherwise."""
    statement = LINK_BY_TOKEN_HASH_FOR_UPDATE if for_update else LINK_BY_TOKEN_HASH
    parameters = {"app_id": app_id, "token_hash": token_hash(token)}
    return (await session.execute(statement, parameters)).scalar_one_or_none()
