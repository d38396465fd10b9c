"""`/v1/webhooks`: Link Money's webhook configuration."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.auth.dependencies import SecuredRoute, require_app
from gateway.auth.principal import Scope
from gateway.auth.tokens import TokenKind
from gateway.dependencies import DbSession
from gateway.developers.configuration import WEBHOOK_URI_DOCS, configuration_service
from gateway.developers.schemas import WebhookConfigurationRequest, WebhookConfigurationResponse
from gateway.state import get_app_state

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=SecuredRoute)

CONFIGURER = require_app(TokenKind.generic, scope=Scope.configure)


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
    configuration = await configuration_service.set_webhook_uri(
        session, app_id=principal.app_id, uri=body.webhookUri, documentation_url=docs
    )
    return WebhookConfigurationResponse(
        name=configuration.name,
        callbackUri=configuration.webhook_uri or "",
        aggregator=configuration.webhook_format,
    )
