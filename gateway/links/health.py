"""How a developer's links are doing: each link's provider, state and last refresh, with its error.

Read for the dashboard (a developer session owning the app), never for an app's own tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gateway.models.end_user import EndUser
from gateway.models.institution import Institution
from gateway.models.link import Link
from gateway.models.refresh import RefreshJob


@dataclass(frozen=True)
class LastRefresh:
    status: str  # pending, running, succeeded, failed
    trigger: str
    attempts: int
    asked_at: datetime
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class LinkHealth:
    link_id: uuid.UUID
    end_user_id: str | None  # the app's own id for the end user, when it gave one
    state: str
    error_code: str | None
    provider: str
    institution_id: str
    institution_name: str
    products: Sequence[str]
    created_at: datetime
    last_synced_at: datetime | None
    last_refresh: LastRefresh | None
    # Accounts the upstream could not read at the last refresh (account id → error code).
    account_errors: Mapping[str, str]


def _statement(app_id: uuid.UUID) -> Select[Link, str | None, str, RefreshJob]:
    job = aliased(RefreshJob)
    latest = (
        select(RefreshJob.id)
        .where(RefreshJob.app_id == app_id, RefreshJob.link_id == Link.id)
        .order_by(RefreshJob.created_at.desc(), RefreshJob.id.desc())
        .limit(1)
        .correlate(Link)
        .scalar_subquery()
    )
    return (
        select(Link, EndUser.external_id, Institution.name, job)
        .join(EndUser, EndUser.id == Link.end_user_id)
        .join(Institution, Institution.id == Link.institution_id)
        .outerjoin(job, job.id == latest)
        .where(Link.app_id == app_id, Link.state != "deleted")
    )


def _health(link: Link, end_user: str | None, institution: str, job: RefreshJob | None) -> LinkHealth:
    last = (
        LastRefresh(job.status, job.trigger, job.attempts, job.created_at, job.finished_at, job.last_error)
        if job is not None
        else None
    )
    return LinkHealth(
        link_id=link.id, end_user_id=end_user, state=link.state, error_code=link.error_code,
        provider=link.provider, institution_id=link.institution_id, institution_name=institution,
        products=list(link.products), created_at=link.created_at, last_synced_at=link.last_synced_at,
        last_refresh=last, account_errors=_account_errors(link),
    )  # fmt: skip


def _account_errors(link: Link) -> dict[str, str]:
    errors: dict[str, str] = {}
    for status in link.product_status.values():
        errors |= (status or {}).get("account_errors") or {}
    return errors


async def link_health(session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID) -> LinkHealth | None:
    row = (await session.execute(_statement(app_id).where(Link.id == link_id))).first()
    return _health(row[0], row[1], row[2], row[3]) if row is not None else None


async def links_health(
    session: AsyncSession, app_id: uuid.UUID, *, end_user_id: str | None, offset: int, limit: int
) -> tuple[list[LinkHealth], int]:
    """The app's links, newest first (one end user's, by the app's id for them, when given)."""
    statement = _statement(app_id)
    if end_user_id is not None:
        statement = statement.where(EndUser.external_id == end_user_id)
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    ordered = statement.order_by(Link.created_at.desc(), Link.id).offset(offset).limit(limit)
    rows = (await session.execute(ordered)).all()
    return [_health(row[0], row[1], row[2], row[3]) for row in rows], int(total)
