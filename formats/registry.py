"""The webhook formats by name: a destination's format names the one its bodies are rendered in."""

from __future__ import annotations

from formats.moneykit.webhooks import MONEYKIT_WEBHOOKS
from formats.mx.webhooks import MX_WEBHOOKS
from formats.plaid.webhooks import PLAID_WEBHOOKS
from formats.webhook import WebhookFormat
from formats.yodlee.webhooks import YODLEE_WEBHOOKS

WEBHOOK_FORMATS: dict[str, WebhookFormat] = {
    webhook_format.name: webhook_format
    for webhook_format in (MONEYKIT_WEBHOOKS, PLAID_WEBHOOKS, MX_WEBHOOKS, YODLEE_WEBHOOKS)
}


def get_format(name: str) -> WebhookFormat | None:
    return WEBHOOK_FORMATS.get(name)
