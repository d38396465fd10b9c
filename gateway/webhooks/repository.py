"""SQL for webhook deliveries and their attempts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.webhook import WebhookAttempt, WebhookDelivery


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

    async def get_to_send(self, session: AsyncSession, delivery_id: uuid.UUID) -> DeliveryToSend | None:
        row = (
            await session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookDelivery.app_id,
                    WebhookDelivery.webhook_id,
                    WebhookDelivery.url,
                    WebhookDelivery.body,
                    WebhookDelivery.format,
                ).where(WebhookDelivery.id == delivery_id)
            )
        ).one_or_none()
        return DeliveryToSend(*row) if row is not None else None

    async def record_attempt(self, session: AsyncSession, attempt: WebhookAttempt) -> None:
        session.add(attempt)
        if attempt.succeeded:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == attempt.delivery_id)
                .values(delivered_at=attempt.started_at)
            )
        await session.flush()


webhook_delivery_repository = WebhookDeliveryRepository()
