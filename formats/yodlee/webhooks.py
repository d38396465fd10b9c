"""Yodlee webhooks: `{"event": {"notificationId", "info", "data"}}` for the unified events.

| unified event                    | Yodlee event                                               |
| link.product_refresh (accounts)  | REFRESH.PROCESS_COMPLETED, with the provider account       |
| transactions.updates_available   | DATA_UPDATES.USER_DATA, with the `dataExtracts/userData` link |
| link.state_changed               | AUTO_REFRESH_UPDATES: ENABLED when connected, DISABLED otherwise |

Yodlee documents no signature; deliveries still carry the Standard Webhooks headers every format gets.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from formats.webhook import EventView, SendContext
from formats.yodlee import render
from gateway.collections.yodlee.access import login_name
from gateway.collections.yodlee.ids import IdKind, assign, assign_one
from gateway.collections.yodlee.providers import provider_id
from gateway.collections.yodlee.repository import accounts_of
from gateway.collections.yodlee.subscriptions import subscribed_url
from gateway.models.developer import AppConfiguration
from gateway.models.end_user import EndUser
from gateway.models.link import Link
from gateway.models.webhook import WebhookEvent

DATA_UPDATES_WINDOW = dt.timedelta(minutes=15)
AUTO_REFRESH = {
    "connected": ("ENABLED", "SCHEDULED"),
    "error": ("DISABLED", "USER_ACTION_REQUIRED"),
    "deleted": ("DISABLED", "UNSUBSCRIBED"),
}


class YodleeWebhooks:
    name = "yodlee"

    async def subscribed_url(self, session: AsyncSession, app_id: uuid.UUID, event_type: str) -> str | None:
        return await subscribed_url(session, app_id, event_type)

    async def prepare(self, session: AsyncSession, event: WebhookEvent, link: Link | None) -> dict[str, Any]:
        """The ids and names Yodlee bodies carry: loginName, provider account and account ids."""
        if link is None:
            return {}
        user = await session.get(EndUser, link.end_user_id)
        configuration = await session.get(AppConfiguration, link.app_id)
        field = configuration.user_id_field if configuration is not None else "guid"
        accounts = await accounts_of(session, link.app_id, [link.id])
        account_ids = await assign(session, link.app_id, IdKind.account, [a.id for a in accounts])
        return {
            "loginName": login_name(user, field) if user is not None else None,
            "providerAccountId": await assign_one(session, link.app_id, IdKind.provider_account, link.id),
            "consentId": await assign_one(session, link.app_id, IdKind.consent, link.id),
            "providerId": provider_id(link.institution_id),
            "accountIds": sorted(account_ids.values()),
            "products": list(link.products),
            "createdDate": render.timestamp(link.created_at),
        }

    def render(self, event: EventView, idempotency_key: str) -> dict[str, Any] | None:
        context = event.context
        if event.link_id is None or not context.get("loginName"):
            return None
        match event.event_type:
            case "link.product_refresh" if event.payload.get("product") == "accounts":
                return self._refresh(event, idempotency_key)
            case "transactions.updates_available":
                return self._data_updates(event, idempotency_key)
            case "link.state_changed" if event.payload.get("state") in AUTO_REFRESH:
                return self._auto_refresh(event, idempotency_key)
        return None

    def headers(self, context: SendContext) -> dict[str, str]:
        return {}

    @staticmethod
    def _refresh(event: EventView, notification_id: str) -> dict[str, Any]:
        context = event.context
        provider_account = render.provider_account(
            provider_account_id=context["providerAccountId"], consent_id=context.get("consentId"),
            provider_id=context["providerId"],
            status="SUCCESS", products=list(context["products"]), created=event.occurred_at,
            last_updated=event.occurred_at, error_code=None,
        )  # fmt: skip
        provider_account["createdDate"] = context["createdDate"]
        data = {"providerAccount": [provider_account]}
        return {"event": {"notificationId": notification_id, "info": "REFRESH.PROCESS_COMPLETED",
                          "loginName": context["loginName"], "data": data}}  # fmt: skip

    @staticmethod
    def _data_updates(event: EventView, notification_id: str) -> dict[str, Any]:
        start = (event.occurred_at - DATA_UPDATES_WINDOW).replace(microsecond=0)
        end = event.occurred_at.replace(microsecond=0) + dt.timedelta(seconds=1)
        window = {"fromDate": render.timestamp(start), "toDate": render.timestamp(end)}
        user = event.context["loginName"]
        href = "dataExtracts/userData?" + urlencode({**window, "loginName": user})
        user_data = {
            "user": {"loginName": user},
            "links": [{"methodType": "GET", "rel": "getUserData", "href": href}],
        }
        return {"event": {"notificationId": notification_id, "info": "DATA_UPDATES.USER_DATA",
                          "data": {**window, "userCount": 1, "userData": [user_data]}}}  # fmt: skip

    @staticmethod
    def _auto_refresh(event: EventView, notification_id: str) -> dict[str, Any]:
        status, additional = AUTO_REFRESH[event.payload["state"]]
        context = event.context
        data = {"autoRefresh": {"status": status, "additionalStatus": additional},
                "accountIds": list(context["accountIds"]), "loginName": context["loginName"],
                "providerAccountId": context["providerAccountId"]}  # fmt: skip
        sent = render.timestamp(event.occurred_at)
        return {"event": {"info": "AUTO_REFRESH_UPDATES", "notificationId": notification_id,
                          "notificationTime": sent, "data": [data]}}  # fmt: skip


YODLEE_WEBHOOKS = YodleeWebhooks()
