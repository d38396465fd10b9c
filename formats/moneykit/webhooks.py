"""MoneyKit webhooks (API 2023-02-18, webhook version 1.0): bodies and delivery headers."""

from __future__ import annotations

from typing import Any

from formats.signatures import moneykit_signature
from formats.webhook import EventView, SendContext

TEST_EVENTS = ("link.state_changed", "transactions.updates_available", "product.state_changed",
               "link.product_refresh")  # fmt: skip


class MoneyKitWebhooks:
    """MoneyKit bodies need nothing beyond the event: no context is looked up for them."""

    name = "moneykit"

    def render(self, event: EventView, idempotency_key: str) -> dict[str, Any] | None:
        specific = self._specific(event)
        if specific is None or event.link_id is None:
            return None
        return {
            "webhook_major_version": 1,
            "webhook_minor_version": 0,
            "webhook_idempotency_key": idempotency_key,
            "webhook_timestamp": event.occurred_at.isoformat(),
            # The test trigger's `product.state_changed` has no body model of its own in MoneyKit's client.
            "webhook_event": "link.product_refresh"
            if event.event_type == "product.state_changed"
            else event.event_type,
            "link_id": str(event.link_id),
            "link_tags": event.link_tags,
            **specific,
        }

    def headers(self, context: SendContext) -> dict[str, str]:
        return {
            "MoneyKit-Signature": moneykit_signature(context.ring, context.issuer, context.body),
            "MoneyKit-Delivery-Token": context.webhook_id,
            "MoneyKit-Delivery-Attempt": str(context.attempt),
        }

    @staticmethod
    def _specific(event: EventView) -> dict[str, Any] | None:
        payload = event.payload
        match event.event_type:
            case "link.state_changed":
                fields = {"state": payload["state"], "error": payload.get("error"),
                          "error_message": payload.get("error_message")}  # fmt: skip
                return {k: v for k, v in fields.items() if v is not None}
            case "link.product_refresh" | "product.state_changed":
                changed_at = payload.get("refreshed_at", event.occurred_at.isoformat())
                return {"product": payload["product"], "state": payload.get("state", "completed"),
                        "state_changed_at": changed_at}  # fmt: skip
            case "transactions.updates_available":
                return {"has_history": True}
        return None


MONEYKIT_WEBHOOKS = MoneyKitWebhooks()
