"""Webhook events stay retryable for LINKGATE_WEBHOOK_EVENT_RETENTION_DAYS, then go with their deliveries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gateway.maintenance.queries import purge_webhook_events_before
from gateway.models import WebhookDelivery, WebhookEvent
from gateway.webhooks.service import webhook_service


async def test_old_events_and_their_deliveries_are_purged(database, sandbox_app, redis_client) -> None:
    now = dt.datetime.now(dt.UTC)
    async with database.unit_of_work() as session:
        old = WebhookEvent(app_id=sandbox_app.app_id, link_id=None, event_type="link.state_changed",
                           payload={}, created_at=now - dt.timedelta(days=31))  # fmt: skip
        recent = WebhookEvent(app_id=sandbox_app.app_id, link_id=None, event_type="link.state_changed",
                              payload={}, created_at=now - dt.timedelta(days=29))  # fmt: skip
        session.add_all([old, recent])
        await session.flush()
        delivery = await webhook_service.create_delivery(
            session, app_id=sandbox_app.app_id, url="http://127.0.0.1:9/", body="{}", format="moneykit",
            event_id=old.id,
        )  # fmt: skip
    redis_client.flushdb()  # no worker: only the rows matter here
    async with database.unit_of_work() as session:
        purged = await purge_webhook_events_before(session, now - dt.timedelta(days=30))
    assert purged >= 1
    async with database.unit_of_work() as session:
        assert await session.get(WebhookEvent, old.id) is None
        assert await session.get(WebhookEvent, recent.id) is not None
        gone = await session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery.id))
        assert gone.first() is None
