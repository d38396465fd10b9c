"""Webhook rules: a delivery is a committed row before anything is sent; each attempt is recorded."""

from __future__ import annotations

import time
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import Database, enqueue_after_commit
from gateway.models.base import utcnow
from gateway.models.webhook import WebhookAttempt, WebhookDelivery
from gateway.settings import Settings
from gateway.webhooks.repository import webhook_delivery_repository
from gateway.webhooks.sender import post_webhook
from workers.durable import DurableKind, Failed, Outcome, RetryLater, Succeeded
from workers.names import DELIVER_WEBHOOK

WEBHOOK_DELIVERIES = DurableKind(
    name="webhook_delivery",
    model=WebhookDelivery,
    task_name=DELIVER_WEBHOOK,
    max_attempts=lambda settings: 1 + settings.webhook_max_retries,
)


class WebhookService:
    async def create_delivery(
        self,
        session: AsyncSession,
        *,
        app_id: uuid.UUID,
        url: str,
        body: str,
        format: str,
        event_id: uuid.UUID | None = None,
    ) -> WebhookDelivery:
        """Store a delivery and send its first attempt as soon as the transaction commits."""
        now = utcnow()
        delivery = WebhookDelivery(
            app_id=app_id,
            event_id=event_id,
            webhook_id=f"msg_{uuid.uuid4().hex}",
            url=url,
            format=format,
            body=body,
            status="pending",
            next_run_at=now,
            enqueued_for=now,
        )
        await webhook_delivery_repository.add(session, delivery)
        enqueue_after_commit(session, WEBHOOK_DELIVERIES.task_for(delivery.id))
        return delivery

    async def attempt(
        self,
        database: Database,
        http: httpx.AsyncClient,
        settings: Settings,
        delivery_id: uuid.UUID,
        attempt_number: int,
    ) -> Outcome:
        """Send one attempt of a claimed delivery and record it; the caller finishes the row."""
        async with database.unit_of_work() as session:
            delivery = await webhook_delivery_repository.get_to_send(session, delivery_id)
        if delivery is None:
            return Failed("delivery no longer exists")
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(int(time.time())),
        }
        result = await post_webhook(http, delivery.url, delivery.body, headers)
        async with database.unit_of_work() as session:
            await webhook_delivery_repository.record_attempt(
                session,
                WebhookAttempt(
                    app_id=delivery.app_id,
                    delivery_id=delivery.id,
                    attempt_number=attempt_number,
                    started_at=result.started_at,
                    duration_ms=result.duration_ms,
                    status_code=result.status_code,
                    succeeded=result.succeeded,
                    error=result.error,
                    response_excerpt=result.response_excerpt,
                ),
            )
        if result.succeeded:
            return Succeeded()
        return RetryLater(settings.webhook_retry_delay_s, result.error or "not delivered")


webhook_service = WebhookService()
