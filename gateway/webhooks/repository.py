"""SQL for webhook deliveries and their attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import bulk_insert
from gateway.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEvent
from gateway.webhooks.sender import AttemptResult


@dataclass(frozen=True)
class DeliveryToSend:
    """What a worker needs to send one attempt, read in a short transaction."""

    id: uuid.UUID
    app_id: uuid.UUID
    webhook_id: str
    url: str
    body: str
    format: str


class WebhookDeliveryRepository:
    async def add(self, session: AsyncSession, delivery: WebhookDelivery) -> WebhookDelivery:
        session.add(delivery)
        await session.flush()
        return delivery

    async def to_send(self, session: AsyncSession, delivery_ids: list[uuid.UUID]) -> list[DeliveryToSend]:
        statement = select(
            WebhookDelivery.id, WebhookDelivery.app_id, WebhookDelivery.webhook_id, WebhookDelivery.url,
            WebhookDelivery.body, WebhookDelivery.format,
        ).where(WebhookDelivery.id.in_(delivery_ids))  # fmt: skip
        return [DeliveryToSend(*row) for row in (await session.execute(statement)).all()]

    async def record_attempts(
        self, session: AsyncSession, attempts: list[tuple[DeliveryToSend, int, AttemptResult]]
    ) -> None:
        """One row per attempt, and `delivered_at` on the deliveries that succeeded."""
        if not attempts:
            return
        rows = [
            {"id": uuid.uuid4(), "app_id": row.app_id, "delivery_id": row.id, "attempt_number": number,
             "started_at": result.started_at, "duration_ms": result.duration_ms,
             "status_code": result.status_code, "succeeded": result.succeeded, "error": result.error,
             "response_excerpt": result.response_excerpt}
            for row, number, result in attempts
        ]  # fmt: skip
        await bulk_insert(session, cast(Table, WebhookAttempt.__table__), rows)
        delivered = {row.id: result.started_at for row, _, result in attempts if result.succeeded}
        if delivered:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(list(delivered)))
                .values(delivered_at=case(delivered, value=WebhookDelivery.id))
            )

    async def page(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        *,
        status: str | None,
        link_id: uuid.UUID | None,
        offset: int,
        limit: int,
    ) -> tuple[list[WebhookDelivery], int]:
        """The app's deliveries, newest first, and how many match."""
        conditions = [WebhookDelivery.app_id == app_id]
        if status is not None:
            conditions.append(WebhookDelivery.status == status)
        if link_id is not None:
            conditions.append(WebhookDelivery.link_id == link_id)
        total = (await session.execute(select(func.count()).where(*conditions))).scalar_one()
        rows = await session.execute(
            select(WebhookDelivery)
            .where(*conditions)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows.scalars()), int(total)

    async def get(
        self, session: AsyncSession, app_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> WebhookDelivery | None:
        statement = select(WebhookDelivery).where(
            WebhookDelivery.app_id == app_id, WebhookDelivery.id == delivery_id
        )
        return (await session.execute(statement)).scalar_one_or_none()

    async def attempts(self, session: AsyncSession, delivery: WebhookDelivery) -> list[WebhookAttempt]:
        statement = (
            select(WebhookAttempt)
            .where(WebhookAttempt.app_id == delivery.app_id, WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.attempt_number)
        )
        return list((await session.execute(statement)).scalars())

    async def event(
        self, session: AsyncSession, app_id: uuid.UUID, event_id: uuid.UUID
    ) -> WebhookEvent | None:
        statement = select(WebhookEvent).where(WebhookEvent.app_id == app_id, WebhookEvent.id == event_id)
        return (await session.execute(statement)).scalar_one_or_none()

    async def ended(
        self, session: AsyncSession, app_id: uuid.UUID, *, statuses: Sequence[str], since: datetime,
        until: datetime | None, limit: int,
    ) -> list[WebhookDelivery]:  # fmt: skip
        """The app's deliveries that ended at or after `since` (and before `until`) in one of `statuses`,
        oldest first."""
        statement = select(WebhookDelivery).where(
            WebhookDelivery.app_id == app_id,
            WebhookDelivery.status.in_(statuses),
            WebhookDelivery.finished_at >= since,
        )
        if until is not None:
            statement = statement.where(WebhookDelivery.finished_at < until)
        statement = statement.order_by(WebhookDelivery.finished_at, WebhookDelivery.id).limit(limit)
        return list((await session.execute(statement)).scalars())


webhook_delivery_repository = WebhookDeliveryRepository()
