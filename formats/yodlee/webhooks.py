"""Yodlee webhooks: `{"event": {"notificationId", "info", "data"}}` for the unified events.

| unified event                    | Yodlee event                                               |
| link.product_refresh (accounts)  | REFRESH.PROCESS_COMPLETED, with the provider account       |
| transactions.updates_available   | DATA_UPDATES.USER_DATA, with the `dataExtracts/userData` link |
| link.state_changed               | AUTO_REFRESH_UPDATES: ENABLED when connected, DISABLED otherwise |

Yodlee documents no signature; deliveries still carry the Standard Webhooks headers every format gets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict
from urllib.parse import urlencode

from formats.webhook import EventView, SendContext
from formats.yodlee import render

DATA_UPDATES_WINDOW = dt.timedelta(minutes=15)
AUTO_REFRESH = {
    "connected": ("ENABLED", "SCHEDULED"),
    "error": ("DISABLED", "USER_ACTION_REQUIRED"),
    "deleted": ("DISABLED", "UNSUBSCRIBED"),
}


class YodleeEventContext(TypedDict):
    """What Yodlee bodies carry beyond the event: the user's loginName (None for a user that is gone,
    and then nothing is sent) and the link's Yodlee ids, products and creation time."""

    login_name: str | None
    provider_account_id: int
    consent_id: int
    provider_id: int
    account_ids: list[int]
    products: list[str]
    link_created_at: dt.datetime


class YodleeWebhooks:
    """Renders with a `YodleeEventContext` as `EventView.context` (empty for an event without a link)."""

    name = "yodlee"

    def render(self, event: EventView, idempotency_key: str) -> dict[str, Any] | None:
        context = event.context
        if event.link_id is None or not context.get("login_name"):
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
            provider_account_id=context["provider_account_id"], consent_id=context.get("consent_id"),
            provider_id=context["provider_id"],
            status="SUCCESS", products=list(context["products"]), created=event.occurred_at,
            last_updated=event.occurred_at, error_code=None,
        )  # fmt: skip
        provider_account["createdDate"] = render.timestamp(context["link_created_at"])
        data = {"providerAccount": [provider_account]}
        return {"event": {"notificationId": notification_id, "info": "REFRESH.PROCESS_COMPLETED",
                          "loginName": context["login_name"], "data": data}}  # fmt: skip

    @staticmethod
    def _data_updates(event: EventView, notification_id: str) -> dict[str, Any]:
        start = (event.occurred_at - DATA_UPDATES_WINDOW).replace(microsecond=0)
        end = event.occurred_at.replace(microsecond=0) + dt.timedelta(seconds=1)
        window = {"fromDate": render.timestamp(start), "toDate": render.timestamp(end)}
        user = event.context["login_name"]
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
                "accountIds": list(context["account_ids"]), "loginName": context["login_name"],
                "providerAccountId": context["provider_account_id"]}  # fmt: skip
        sent = render.timestamp(event.occurred_at)
        return {"event": {"info": "AUTO_REFRESH_UPDATES", "notificationId": notification_id,
                          "notificationTime": sent, "data": [data]}}  # fmt: skip


YODLEE_WEBHOOKS = YodleeWebhooks()
