"""Exchangeable tokens: the single-use, expiring proof that Connect (or the sandbox shortcut) linked a bank.

Only a SHA-256 of each token is stored; the token itself has 256 bits of randomness (122 in the
UUID-shaped tokens some collections hand out, as their wire formats' own tokens have).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.base import utcnow
from gateway.models.link import Link, LinkSession

SESSION_LIFETIME = timedelta(minutes=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_exchangeable_token(prefix: str | None = None) -> str:
    """`ext-` and 256 random bits, or a collection's own shape: `prefix` and a random UUID."""
    return f"{prefix}{uuid.uuid4()}" if prefix else "ext-" + secrets.token_urlsafe(32)


async def issue_exchangeable_token(
    session: AsyncSession, link: Link, products: list[str], *, prefix: str | None = None
) -> str:
    """A completed session for `link` (awaiting exchange); returns the token shown to the app once."""
    token = new_exchangeable_token(prefix)
    session.add(
        LinkSession(
            app_id=link.app_id,
            end_user_id=link.end_user_id,
            link_id=link.id,
            token_hash=token_hash("lst-" + secrets.token_urlsafe(32)),
            exchangeable_token_hash=token_hash(token),
            state="completed",
            products=products,
            expires_at=utcnow() + SESSION_LIFETIME,
        )  # fmt: skip
    )
    await session.flush()
    return token


async def redeem_exchangeable_token(session: AsyncSession, app_id: uuid.UUID, token: str) -> uuid.UUID | None:
    """Use the token up; the link id it was for, or None if unknown, expired, used or another app's."""
    now = utcnow()
    statement = (
        update(LinkSession)
        .where(
            LinkSession.app_id == app_id,
            LinkSession.exchangeable_token_hash == token_hash(token),
            LinkSession.exchanged_at.is_(None),
            LinkSession.expires_at > now,
        )
        .values(exchanged_at=now, state="exchanged")
        .returning(LinkSession.link_id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def session_by_token(session: AsyncSession, token: str) -> LinkSession | None:
    """The session a Connect token opens, locked for this step."""
    statement = select(LinkSession).where(LinkSession.token_hash == token_hash(token)).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def open_session_of_link(
    session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, states: tuple[str, ...]
) -> LinkSession | None:
    """The link's newest unexpired session in one of `states`, locked for this step (server-side flows,
    which know the link but not the session token)."""
    statement = (
        select(LinkSession)
        .where(
            LinkSession.app_id == app_id,
            LinkSession.link_id == link_id,
            LinkSession.state.in_(states),
            LinkSession.expires_at > utcnow(),
        )
        .order_by(LinkSession.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def app_session_by_token(session: AsyncSession, app_id: uuid.UUID, token: str) -> LinkSession | None:
    """The app's session this Connect token opens (any state, expired or not); another app's is None."""
    statement = select(LinkSession).where(
        LinkSession.app_id == app_id, LinkSession.token_hash == token_hash(token)
    )
    return (await session.execute(statement)).scalar_one_or_none()
