"""Queries that are cross-tenant by design: they read or remove rows of every app at once.

The refresh scheduler, the durable-work and Connect-session sweepers and the retention purge run in
workers, for the whole gateway. Nothing here takes a principal or an app, so nothing here may be called
from a request handler on an app's behalf: those read through `gateway.links.readable`. (The one
request that uses this module is an upstream's verified webhook, which names the upstream's own
connections, not our apps: see `links_on_connections`.) Each caller acts on what it finds with the
row's own `app_id`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.base import utcnow
from gateway.models.link import Link, LinkSession
from gateway.models.refresh import RefreshJob, UpstreamDisconnect
from gateway.models.webhook import WebhookEvent


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


async def purge_webhook_events_before(session: AsyncSession, cutoff: datetime) -> int:
    """Remove every app's webhook events older than `cutoff`; their deliveries and attempts go with them
    (cascade). Returns how many events went."""
    statement = delete(WebhookEvent).where(WebhookEvent.created_at < cutoff).returning(WebhookEvent.id)
    return len((await session.execute(statement)).all())


async def purge_disconnects_finished_before(session: AsyncSession, cutoff: datetime) -> int:
    """Remove every app's upstream disconnects that ended before `cutoff` (their secrets are long gone;
    what remains is the record). Returns how many went."""
    statement = (
        delete(UpstreamDisconnect)
        .where(
            UpstreamDisconnect.status.in_(("succeeded", "failed")), UpstreamDisconnect.finished_at < cutoff
        )
        .returning(UpstreamDisconnect.id)
    )
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


async def lost_durable_rows(
    session: AsyncSession, model: type[Any], *, now: datetime, sent_before: datetime, limit: int
) -> list[uuid.UUID]:
    """Durable-work rows of every app (`model`: refresh jobs, webhook deliveries) that are due, or whose
    worker's lease expired, and whose task was not sent since `sent_before`; locked, oldest due first,
    so concurrent sweepers split them."""
    not_recently_sent = or_(model.enqueued_for.is_(None), model.enqueued_for < sent_before)
    due = or_(
        and_(model.status == "pending", model.next_run_at <= now),
        and_(model.status == "running", model.lease_expires_at < now),
    )
    statement = (
        select(model.id)
        .where(due, not_recently_sent)
        .order_by(model.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(statement)).scalars())


async def mark_sent(session: AsyncSession, model: type[Any], row_ids: list[uuid.UUID], now: datetime) -> None:
    """Record that the rows' tasks were sent again at `now`."""
    await session.execute(update(model).where(model.id.in_(row_ids)).values(enqueued_for=now))


REFRESHABLE_STATES = ("connected", "error")


async def links_on_connections(
    session: AsyncSession, provider: str, connections: Sequence[str]
) -> list[Link]:
    """Every app's refreshable links on these upstream connections (`Link.provider_link_id`): an
    upstream's webhook names its connections, whichever apps they serve."""
    if not connections:
        return []
    statement = select(Link).where(
        Link.provider == provider,
        Link.provider_link_id.in_(list(connections)),
        Link.state.in_(REFRESHABLE_STATES),
    )
    return list((await session.execute(statement)).scalars())


async def durable_rows_by_status(
    session: AsyncSession, model: type[Any], statuses: Sequence[str]
) -> dict[str, int]:
    """How many durable-work rows of every app (`model`) are in each of `statuses` (metrics: read
    through the `(status, next_run_at)` index, so only the unfinished states are asked for)."""
    statement = (
        select(model.status, func.count()).where(model.status.in_(list(statuses))).group_by(model.status)
    )
    return {status: count for status, count in (await session.execute(statement)).all()}


async def due_durable_rows(
    session: AsyncSession, model: type[Any], now: datetime
) -> tuple[int, datetime | None]:
    """How many durable-work rows of every app (`model`) are waiting past their run time, and the run
    time of the one waiting longest (metrics: the delivery backlog)."""
    statement = select(func.count(), func.min(model.next_run_at)).where(
        model.status == "pending", model.next_run_at <= now
    )
    count, oldest = (await session.execute(statement)).one()
    return int(count), oldest
