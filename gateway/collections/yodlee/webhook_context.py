"""What Yodlee webhook bodies carry beyond the event: the user's loginName and the link's Yodlee ids.

Looked up when a Yodlee-format delivery is created (the ids were issued with the rows); the pure
format (`formats.yodlee.webhooks`) renders the bodies from the `YodleeEventContext` gathered here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from formats.yodlee.webhooks import YodleeEventContext
from gateway.collections.yodlee.access import login_name
from gateway.collections.yodlee.providers import provider_numbers
from gateway.integer_ids.repository import IdKind, number_of, numbers_of
from gateway.models.developer import AppConfiguration
from gateway.models.end_user import EndUser
from gateway.models.link import Link
from gateway.models.webhook import WebhookEvent
from gateway.products.repository import product_reader


async def yodlee_event_context(
    session: AsyncSession, event: WebhookEvent, link: Link | None
) -> Mapping[str, Any]:
    """The link's ids and its user's loginName; empty without a link (Yodlee then sends nothing)."""
    if link is None:
        return {}
    user = await session.get(EndUser, link.end_user_id)
    configuration = await session.get(AppConfiguration, link.app_id)
    field = configuration.user_id_field if configuration is not None else "guid"
    accounts = await product_reader.accounts_of_links(session, link.app_id, [link.id])
    account_ids = await numbers_of(session, link.app_id, IdKind.account, [a.id for a in accounts])
    context: YodleeEventContext = {
        "login_name": login_name(user, field) if user is not None else None,
        "provider_account_id": await number_of(session, link.app_id, IdKind.provider_account, link.id),
        "consent_id": await number_of(session, link.app_id, IdKind.consent, link.id),
        "provider_id": (await provider_numbers(session, [link.institution_id])).get(link.institution_id, 0),
        "account_ids": sorted(account_ids.values()),
        "products": list(link.products),
        "link_created_at": link.created_at,
    }
    return context
