"""Queries that are cross-tenant by design: they read or remove rows of every app at once.

The refresh scheduler, the Connect-session sweeper and the retention purge run in workers, for the
whole gateway; nothing here takes a principal or an app, so nothing here may ever be called from a
request handler (those read through `gateway.links.readable`). Each caller acts on what it finds with
the row's own `app_id`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.base import utcnow
from gateway.models.link import Link, LinkSession
from gateway.models.refresh import RefreshJob


async def links_due_for_refresh(
    session: AsyncSession, last_synced_before: datetime, limit: int
) -> list[Link]:
    """Connected links of every app not refreshed since `last_synced_before` and with no refresh already
    waiting or running, least recently refreshed first."""
    waiting = select(RefreshJob.id).where(
        RefreshJob.link_id == Link.id, RefreshJob.status.in_(("pending", "running"))
    )
    statement = (
        select(Link)
        .where(
            Link.state == "connected",
            or_(Link.last_synced_at.is_(None), Link.last_synced_at < last_synced_before),
            ~waiting.exists(),
        )
        .order_by(Link.last_synced_at.nulls_first())
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


async def purge_links_deleted_before(session: AsyncSession, cutoff: datetime) -> int:
    """Remove every app's links deleted before `cutoff`; their sessions and refresh jobs go with them
    (cascade). Returns how many went."""
    statement = delete(Link).where(Link.state == "deleted", Link.deleted_at < cutoff).returning(Link.id)
    return len((await session.execute(statement)).all())


async def abandoned_sessions(
    session: AsyncSession, open_states: tuple[str, ...], limit: int
) -> list[LinkSession]:
    """Connect sessions of every app that expired before the end user finished, locked; other sweepers
    take the rest."""
    statement = (
        select(LinkSession)
        .where(LinkSession.state.in_(open_states), LinkSession.expires_at <= utcnow())
        .order_by(LinkSession.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(statement)).scalars())
