"""`POST /v1/providers/{provider}/items`: a developer hands over connections they already hold at an
upstream (Plaid access tokens) without asking any end user to link again."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import SecuredRoute, require_app
from gateway.auth.principal import Scope
from gateway.auth.tokens import TokenKind
from gateway.collections.routing import CollectionRouter
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.links.adoption import adopt_connection
from gateway.state import get_app_state
from gateway.upstreams.configuration import provider_configuration

router = CollectionRouter(prefix="/v1/providers", tags=["upstream providers"], route_class=SecuredRoute)
LINK_WRITER = require_app(TokenKind.generic, scope=Scope.write_links)


class ItemAdoption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_token: str = Field(min_length=1, max_length=256, pattern=r"^\S+$")
    user_id: str = Field(
        min_length=1, max_length=255, description="The end user, in the app's configured id field"
    )


class AdoptedLink(BaseModel):
    link_id: str


@router.post(
    "/{provider}/items",
    response_model=AdoptedLink,
    status_code=201,
    openapi_extra=LINK_WRITER.openapi,
    responses={
        200: {"model": AdoptedLink, "description": "This connection was adopted before: its link"},
        400: {"description": "The upstream refused the access token"},
        404: {"description": "No provider adopts connections for this app"},
    },
)
async def adopt_item(
    provider: Annotated[str, Path(max_length=32)],
    body: ItemAdoption,
    request: Request,
    response: Response,
    session: DbSession,
) -> AdoptedLink:
    """Verify the access token with the upstream, then answer 201 with the new link (synced at once),
    or 200 with the link this Item already became."""
    principal = await LINK_WRITER(request)
    state = get_app_state(request)
    box = SecretBox(state.auth.master_key)
    providers = await provider_configuration.scoped(session, box, principal.app_id, state.providers)
    offered = await provider_configuration.offered(session, principal.app_id, state.providers)
    link, created = await adopt_connection(
        session, box, providers, offered, app_id=principal.app_id,
        provider=provider, credentials={"access_token": body.access_token},
        user_field=principal.client.user_id_field, user_id=body.user_id,
    )  # fmt: skip
    response.status_code = 201 if created else 200
    return AdoptedLink(link_id=str(link.id))
