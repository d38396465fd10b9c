"""Plaid Items: `/item/get`, `/item/remove` and `/item/webhook/update`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from formats.plaid import render
from gateway.collections.plaid.auth import ITEM_WRITER, READER, item_link
from gateway.collections.plaid.link_tokens import checked_webhook
from gateway.collections.plaid.requests import ItemRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.links.service import link_service
from gateway.models.link import Link
from gateway.webhooks.events import publish_event

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])
PRODUCT_STATUS = {"transactions": "transactions", "investments": "investments"}


class ItemRemoveRequest(ItemRequest):
    reason_code: str | None = Field(default=None, max_length=64)
    reason_note: str | None = Field(default=None, max_length=512)


class ItemWebhookUpdateRequest(ItemRequest):
    webhook: str | None = Field(default=None, max_length=2048)


def rendered_item(link: Link) -> dict[str, Any]:
    return render.item(link, link.institution, webhook=link.webhook_uri)


def _status(link: Link) -> dict[str, Any]:
    """When each product last updated (or failed to), from the link's refresh record."""
    status: dict[str, Any] = {"last_webhook": None}
    for ours, plaid in PRODUCT_STATUS.items():
        entry = link.product_status.get(ours)
        if ours in link.products and entry is not None:
            failed = entry.get("last_attempted_at") if entry.get("error_code") else None
            status[plaid] = {"last_successful_update": _zulu(entry.get("refreshed_at")),
                             "last_failed_update": _zulu(failed)}  # fmt: skip
    return status


def _zulu(value: str | None) -> str | None:
    return value.replace("+00:00", "Z") if value else None


@router.post("/item/get", openapi_extra=READER.openapi)
async def item_get(body: ItemRequest, request: Request, session: DbSession) -> Response:
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    item = rendered_item(link) | {"created_at": link.created_at.isoformat().replace("+00:00", "Z")}
    return plaid_response({"item": item, "status": _status(link)})


@router.post("/item/remove", openapi_extra=ITEM_WRITER.openapi)
async def item_remove(body: ItemRemoveRequest, request: Request, session: DbSession) -> Response:
    """Remove the Item: its data is erased and its access token stops working at once."""
    principal = await ITEM_WRITER(request, body)
    link = await item_link(session, principal, body, for_update=True)
    await link_service.delete(session, link)
    return plaid_response({})


@router.post("/item/webhook/update", openapi_extra=ITEM_WRITER.openapi)
async def item_webhook_update(
    body: ItemWebhookUpdateRequest, request: Request, session: DbSession
) -> Response:
    """Point the Item's webhooks (in Plaid's format) at a new URL, which is sent
    ITEM/WEBHOOK_UPDATE_ACKNOWLEDGED; an empty `webhook` turns them off."""
    principal = await ITEM_WRITER(request, body)
    link = await item_link(session, principal, body, for_update=True)
    link.webhook_uri = await checked_webhook(body.webhook, principal)
    link.webhook_format = "plaid" if link.webhook_uri else None
    if link.webhook_uri:
        await publish_event(
            session, app_id=link.app_id, link=link, event_type="link.webhook_updated",
            payload={"webhook": link.webhook_uri},
        )  # fmt: skip
    return plaid_response({"item": rendered_item(link)})
