"""Yodlee notification subscriptions: which callback URL each Yodlee event goes to, per app.

The webhook service asks `subscribed_destination` before the app's configured URI, so an app that
subscribes through `/configs/notifications/events` receives Yodlee-format webhooks there.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.yodlee import YodleeSubscription

EVENT_NAMES = ("REFRESH", "DATA_UPDATES", "AUTO_REFRESH_UPDATES", "LATEST_BALANCE_UPDATES",
               "CREDIT_ACCELERATOR_REPORT_UPDATES")  # fmt: skip
# Which Yodlee event carries each unified event.
EVENT_FOR = {
    "link.product_refresh": "REFRESH",
    "transactions.updates_available": "DATA_UPDATES",
    "link.state_changed": "AUTO_REFRESH_UPDATES",
}


async def subscriptions(
    session: AsyncSession, app_id: uuid.UUID, event_name: str | None = None
) -> list[YodleeSubscription]:
    statement = select(YodleeSubscription).where(YodleeSubscription.app_id == app_id)
    if event_name is not None:
        statement = statement.where(YodleeSubscription.event_name == event_name)
    return list((await session.execute(statement.order_by(YodleeSubscription.event_name))).scalars())


async def subscription(
    session: AsyncSession, app_id: uuid.UUID, event_name: str
) -> YodleeSubscription | None:
    found = await subscriptions(session, app_id, event_name)
    return found[0] if found else None


async def subscribe(session: AsyncSession, app_id: uuid.UUID, event_name: str, callback_url: str) -> None:
    session.add(YodleeSubscription(app_id=app_id, event_name=event_name, callback_url=callback_url))
    await session.flush()


async def unsubscribe(session: AsyncSession, found: YodleeSubscription) -> None:
    await session.delete(found)


async def subscribed_url(session: AsyncSession, app_id: uuid.UUID, event_type: str) -> str | None:
    """The callback an app subscribed for the Yodlee event that carries `event_type`, if any."""
    name = EVENT_FOR.get(event_type)
    if name is None:
        return None
    found = await subscription(session, app_id, name)
    return found.callback_url if found is not None else None
