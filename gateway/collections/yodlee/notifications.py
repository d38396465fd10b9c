"""`/configs/notifications/events`: subscribe (POST 201), change (PUT 204), list, unsubscribe (DELETE 204).

Admin token only. Callback URLs are checked like every webhook URI (live apps: https, public hosts).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.principal import AppPrincipal
from gateway.collections.yodlee.access import ADMIN, json_response, no_content
from gateway.collections.yodlee.errors import YodleeError, invalid_value, required
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.subscriptions import (
    EVENT_NAMES,
    subscribe,
    subscription,
    subscriptions,
    unsubscribe,
)
from gateway.dependencies import DbSession
from gateway.developers.configuration import WEBHOOK_URI_DOCS, InvalidWebhookUri, check_webhook_uri
from gateway.text import is_storable

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])


class CallbackFields(BaseModel):
    model_config = ConfigDict(extra="ignore")

    callbackUrl: str | None = Field(default=None, max_length=2048)


class SubscriptionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event: CallbackFields | None = None


def _event_name(value: str) -> str:
    if value not in EVENT_NAMES:
        raise invalid_value("eventName")
    return value


async def _callback(principal: AppPrincipal, body: SubscriptionBody) -> str:
    if body.event is None or not body.event.callbackUrl:
        raise required("callbackUrl")
    if not is_storable(body.event.callbackUrl):
        raise invalid_value("callbackUrl")
    try:
        return await check_webhook_uri(
            body.event.callbackUrl, app_mode=principal.app_mode, documentation_url=WEBHOOK_URI_DOCS
        )
    except InvalidWebhookUri as exc:
        raise YodleeError("Y800", f"Invalid value for callbackUrl: {exc.reason}") from exc


@router.get("/configs/notifications/events", openapi_extra=ADMIN.openapi)
async def get_subscribed_events(
    request: Request, session: DbSession, event_name: Annotated[str | None, Query(alias="eventName")] = None
) -> Response:
    """The app's subscriptions, optionally for one event."""
    principal = await ADMIN(request)
    if event_name is not None:
        _event_name(event_name)
    found = await subscriptions(session, principal.app_id, event_name)
    return json_response({"event": [{"name": s.event_name, "callbackUrl": s.callback_url} for s in found]})


@router.post("/configs/notifications/events/{eventName}", status_code=201, openapi_extra=ADMIN.openapi)
async def create_subscription(
    eventName: str,
    body: SubscriptionBody,
    request: Request,
    session: DbSession,
) -> Response:
    """Subscribe a callback URL to an event (201, no body)."""
    principal = await ADMIN(request)
    name = _event_name(eventName)
    url = await _callback(principal, body)
    if await subscription(session, principal.app_id, name) is not None:
        raise YodleeError("Y811", f"{name} subscription already exists")
    await subscribe(session, principal.app_id, name, url)
    return no_content(201)


@router.put("/configs/notifications/events/{eventName}", openapi_extra=ADMIN.openapi)
async def update_subscription(
    eventName: str,
    body: SubscriptionBody,
    request: Request,
    session: DbSession,
) -> Response:
    """Change a subscription's callback URL (204)."""
    principal = await ADMIN(request)
    name = _event_name(eventName)
    url = await _callback(principal, body)
    found = await subscription(session, principal.app_id, name)
    if found is None:
        raise invalid_value("eventName")
    found.callback_url = url
    return no_content()


@router.delete("/configs/notifications/events/{eventName}", openapi_extra=ADMIN.openapi)
async def delete_subscription(eventName: str, request: Request, session: DbSession) -> Response:
    """Unsubscribe (204)."""
    principal = await ADMIN(request)
    found = await subscription(session, principal.app_id, _event_name(eventName))
    if found is None:
        raise invalid_value("eventName")
    await unsubscribe(session, found)
    return no_content()
