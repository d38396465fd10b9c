"""Response and request bodies of the developer-facing webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway.developers.schemas import Strict
from gateway.pagination import Pagination

DeliveryStatus = Literal["pending", "running", "succeeded", "failed"]


class WebhookAttemptOut(BaseModel):
    attempt_number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    succeeded: bool
    error: str | None
    response_excerpt: str | None = Field(description="The first 2 KB of the callback's answer.")


class WebhookDeliveryOut(BaseModel):
    id: str
    webhook_id: str = Field(description="Sent as `webhook-id`; the same on every attempt of this delivery.")
    event_id: str | None
    event_type: str | None
    link_id: str | None
    url: str
    format: str
    trigger: Literal["event", "retry", "test"]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime


class WebhookDeliveryList(BaseModel):
    deliveries: list[WebhookDeliveryOut]
    pagination: Pagination


class WebhookDeliveryDetail(WebhookDeliveryOut):
    body: str = Field(description="The exact bytes sent (a JSON document).")
    attempt_log: list[WebhookAttemptOut]


class WebhookEventRetried(BaseModel):
    event_id: str
    delivery: WebhookDeliveryOut


class WebhookSecretOut(BaseModel):
    secret: str = Field(description="`whsec_…`: verify the `webhook-signature` header with it.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries are also signed with the previous secret."
    )


class RotateWebhookSecret(Strict):
    grace_period_s: int = Field(
        default=86_400,
        ge=0,
        le=7 * 86_400,
        description="How long the old secret keeps signing (default a day).",
    )
