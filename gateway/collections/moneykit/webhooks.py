"""`POST /webhooks/test/link/{id}`: a real delivery of a chosen test event for a sandbox link."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from gateway.collections.moneykit.access import accessible_link
from gateway.collections.moneykit.errors import ForbiddenConfig, LinkBadConfig, link_bad_input
from gateway.collections.moneykit.links import LINK_WRITER, json_response
from gateway.collections.moneykit.routing import MoneyKitRoute, answers_bad_input_with
from gateway.dependencies import DbSession
from gateway.developers.schemas import StorableInput
from gateway.models.base import utcnow
from gateway.models.link import Link
from gateway.webhooks.events import send_test_event

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])

TestEvent = Literal[
    "link.state_changed", "transactions.updates_available", "product.state_changed", "link.product_refresh"
]


class TestLinkWebhookRequest(StorableInput):
    webhook_event: TestEvent
    webhook_idempotency_key: str | None = Field(default=None, min_length=1, max_length=255)


@router.post("/webhooks/test/link/{link_id}", openapi_extra=LINK_WRITER.openapi)
@answers_bad_input_with(link_bad_input)
async def trigger_test_link_webhook_event(
    link_id: str, body: TestLinkWebhookRequest, request: Request, session: DbSession
) -> Response:
    """Sandbox links only: send the chosen event to the link's webhook now, with the given
    `webhook_idempotency_key`; `delivery_token` is the `MoneyKit-Delivery-Token` it carries."""
    principal = await LINK_WRITER(request)
    link = await accessible_link(session, principal, link_id)
    if principal.app_mode != "sandbox":
        raise ForbiddenConfig("Test webhooks are for sandbox links only.")
    delivery = await send_test_event(
        session, link, body.webhook_event, _sample(link, body.webhook_event),
        idempotency_key=body.webhook_idempotency_key,
    )  # fmt: skip
    if delivery is None:
        raise LinkBadConfig("The link has no webhook (set one with PATCH /links/{id}).")
    return json_response({"delivery_token": delivery.webhook_id})


def _sample(link: Link, event_type: str) -> dict[str, Any]:
    if event_type == "link.state_changed":
        return {"state": link.state} | ({"error": link.error_code} if link.error_code else {})
    if event_type == "transactions.updates_available":
        return {"created": 0, "updated": 0, "removed": 0}
    return {"product": "transactions", "state": "completed", "refreshed_at": utcnow().isoformat()}
