"""`/v1/webhooks`: Link Money's webhook configuration."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request

from gateway.auth.dependencies import SecuredRoute, require_app
from gateway.auth.principal import Scope
from gateway.auth.tokens import TokenKind
from gateway.collections.ids import parse_id
from gateway.collections.routing import CollectionRouter
from gateway.dependencies import DbSession
from gateway.developers.audit import Actor, audit_log, field_changes, masked_uri
from gateway.developers.configuration import WEBHOOK_URI_DOCS, configuration_service
from gateway.developers.schemas import WebhookConfigurationRequest, WebhookConfigurationResponse
from gateway.errors import Conflict, NotFound
from gateway.links.repository import link_reader
from gateway.models.audit import AuditAction
from gateway.models.webhook import WebhookAttempt, WebhookDelivery
from gateway.pagination import Page
from gateway.state import get_app_state
from gateway.webhooks.repository import webhook_delivery_repository
from gateway.webhooks.schemas import (
    DeliveryStatus,
    WebhookAttemptOut,
    WebhookDeliveryDetail,
    WebhookDeliveryList,
    WebhookDeliveryOut,
    WebhookEventRetried,
)
from gateway.webhooks.service import webhook_service

router = CollectionRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=SecuredRoute)

CONFIGURER = require_app(TokenKind.generic, scope=Scope.configure)
READER = require_app(TokenKind.generic, scope=Scope.read)


@router.patch(
    "/configuration",
    status_code=201,
    response_model=WebhookConfigurationResponse,
    operation_id="configure_webhook_uri",
    responses={
        400: {"description": "The URI is malformed or not allowed; the error carries documentation_url"}
    },
    openapi_extra=CONFIGURER.openapi,
)
async def configure_webhook_uri(
    body: WebhookConfigurationRequest, request: Request, session: DbSession
) -> WebhookConfigurationResponse:
    """Set where this app's webhooks go. Live apps need `https` to a public address; sandbox apps may use
    `http` (for example a local receiver)."""
    principal = await CONFIGURER(request)
    docs = get_app_state(request).settings.base_url.rstrip("/") + WEBHOOK_URI_DOCS
    before = (await configuration_service.get(session, principal.app_id)).webhook_uri
    configuration = await configuration_service.set_webhook_uri(
        session, app_id=principal.app_id, uri=body.webhookUri, documentation_url=docs
    )
    await audit_log.record(
        session, Actor.of_key(principal), principal.app_id, AuditAction.webhook_uri_changed,
        changes=field_changes(
            {"webhook_uri": before}, {"webhook_uri": configuration.webhook_uri}, {"webhook_uri": masked_uri}
        ),
    )  # fmt: skip
    return WebhookConfigurationResponse(
        name=configuration.name,
        callbackUri=configuration.webhook_uri or "",
        aggregator=configuration.webhook_format,
    )


@router.get(
    "/deliveries", response_model=WebhookDeliveryList, operation_id="list_webhook_deliveries",
    openapi_extra=READER.openapi,
)  # fmt: skip
async def list_deliveries(
    request: Request,
    session: DbSession,
    page: Page,
    status: DeliveryStatus | None = None,
    link_id: Annotated[str | None, Query(max_length=64)] = None,
) -> WebhookDeliveryList:
    """This app's webhook deliveries, newest first, filtered by `status` or `link_id`."""
    principal = await READER(request)
    link_uuid = _optional_uuid(link_id)
    if link_id is not None and link_uuid is None:
        return WebhookDeliveryList(deliveries=[], pagination=page.describe(0))  # no such link, no deliveries
    rows, total = await webhook_delivery_repository.page(
        session, principal.app_id, status=status, link_id=link_uuid, offset=page.offset, limit=page.per_page
    )
    return WebhookDeliveryList(
        deliveries=[_delivery_out(row) for row in rows], pagination=page.describe(total)
    )


@router.get(
    "/deliveries/{delivery_id}", response_model=WebhookDeliveryDetail, operation_id="get_webhook_delivery",
    responses={404: {"description": "No such delivery in this app"}}, openapi_extra=READER.openapi,
)  # fmt: skip
async def get_delivery(delivery_id: str, request: Request, session: DbSession) -> WebhookDeliveryDetail:
    """One delivery with the body sent and every attempt (time, duration, status, error, response excerpt)."""
    principal = await READER(request)
    delivery = await webhook_delivery_repository.get(
        session, principal.app_id, parse_id(delivery_id, "delivery")
    )
    if delivery is None:
        raise NotFound("No such delivery.")
    attempts = await webhook_delivery_repository.attempts(session, delivery)
    return WebhookDeliveryDetail(
        **_delivery_out(delivery).model_dump(),
        body=delivery.body,
        attempt_log=[_attempt_out(a) for a in attempts],
    )


@router.post(
    "/events/{event_id}/retry", status_code=202, response_model=WebhookEventRetried,
    operation_id="retry_webhook_event", openapi_extra=CONFIGURER.openapi,
    responses={404: {"description": "No such event in this app (events are kept "
                                    "LINKGATE_WEBHOOK_EVENT_RETENTION_DAYS days)"},
               409: {"description": "Neither the link nor the app has a webhook URI"}},
)  # fmt: skip
async def retry_event(event_id: str, request: Request, session: DbSession) -> WebhookEventRetried:
    """Send a stored event again, as a new delivery to where it would go now; the first attempt is
    immediate and failures are retried like any delivery."""
    principal = await CONFIGURER(request)
    event = await webhook_delivery_repository.event(session, principal.app_id, parse_id(event_id, "event"))
    if event is None:
        raise NotFound("No such event.")
    link = await link_reader.get(session, principal.app_id, event.link_id) if event.link_id else None
    delivery = await webhook_service.deliver_event(session, event, link, trigger="retry")
    if delivery is None:
        raise Conflict("Nowhere to send it: neither the link nor the app has a webhook URI.")
    return WebhookEventRetried(event_id=str(event.id), delivery=_delivery_out(delivery))


def _optional_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value is not None else None
    except ValueError:
        return None


def _delivery_out(row: WebhookDelivery) -> WebhookDeliveryOut:
    waiting = row.status == "pending"
    return WebhookDeliveryOut(
        id=str(row.id), webhook_id=row.webhook_id, event_id=str(row.event_id) if row.event_id else None,
        event_type=row.event_type, link_id=str(row.link_id) if row.link_id else None, url=row.url,
        format=row.format, trigger=row.trigger, status=row.status, attempts=row.attempts,
        next_attempt_at=row.next_run_at if waiting else None, delivered_at=row.delivered_at,
        last_error=row.last_error, created_at=row.created_at,
    )  # fmt: skip


def _attempt_out(row: WebhookAttempt) -> WebhookAttemptOut:
    return WebhookAttemptOut(
        attempt_number=row.attempt_number, started_at=row.started_at, duration_ms=row.duration_ms,
        status_code=row.status_code, succeeded=row.succeeded, error=row.error,
        response_excerpt=row.response_excerpt,
    )  # fmt: skip
