"""`POST /v1/providers/{provider}/webhooks`: where upstream aggregators announce news about their
connections. The adapter verifies the request; each link it concerns gets a durable refresh, committed
before the upstream hears 2xx."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from pydantic import BaseModel

from gateway.collections.routing import CollectionRouter
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.state import get_app_state
from gateway.upstreams.inbound import accept_webhook

router = CollectionRouter(prefix="/v1/providers", tags=["upstream providers"])


class WebhookAccepted(BaseModel):
    accepted: bool = True


@router.post(
    "/{provider}/webhooks",
    response_model=WebhookAccepted,
    responses={401: {"description": "The webhook did not verify"}, 404: {"description": "No such provider"}},
)
async def upstream_webhook(
    provider: Annotated[str, Path(max_length=32)], request: Request, session: DbSession
) -> WebhookAccepted:
    """Verified by the provider's adapter (a webhook that does not verify changes nothing and gets 401);
    the refreshes it asks for are committed before this answers."""
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    state = get_app_state(request)
    await accept_webhook(session, SecretBox(state.auth.master_key), state.providers, provider, headers, body)
    return WebhookAccepted()
