"""`/v1/developer`: the app's configuration (generic tokens) and what a token may do."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request

from gateway.auth.dependencies import SecuredRoute, require_app
from gateway.auth.principal import AppPrincipal, Scope
from gateway.auth.tokens import TokenKind
from gateway.collections.routing import CollectionRouter
from gateway.dependencies import DbSession
from gateway.developers.audit import Actor, audit_log, configuration_changes
from gateway.developers.configuration import WEBHOOK_URI_DOCS, configuration_service, render
from gateway.developers.schemas import Configuration, ConfigurationPatch, ConfigurationWrite, TokenInfo
from gateway.end_users.repository import end_user_repository
from gateway.links.readable import get_link
from gateway.links.repository import organization_key_of
from gateway.models.audit import AuditAction
from gateway.state import get_app_state

router = CollectionRouter(prefix="/v1/developer", tags=["developer"], route_class=SecuredRoute)

CONFIGURER = require_app(TokenKind.generic, scope=Scope.configure)
ANY_TOKEN = require_app(TokenKind.generic, TokenKind.user, TokenKind.item, basic=True)
USER_READER = require_app(TokenKind.user, scope=Scope.read, basic=True)
ITEM_READER = require_app(TokenKind.item, scope=Scope.read)


def _docs_url(request: Request) -> str:
    return get_app_state(request).settings.base_url.rstrip("/") + WEBHOOK_URI_DOCS


@router.get("/configuration", response_model=Configuration, openapi_extra=CONFIGURER.openapi)
async def get_configuration(request: Request, session: DbSession) -> Configuration:
    """The app's configuration."""
    principal = await CONFIGURER(request)
    return render(await configuration_service.get(session, principal.app_id))


@router.post(
    "/configuration", status_code=201, response_model=Configuration, openapi_extra=CONFIGURER.openapi
)
async def create_configuration(
    body: ConfigurationWrite, request: Request, session: DbSession
) -> Configuration:
    """Set the whole configuration; omitted fields take their defaults."""
    return await _write(body, await CONFIGURER(request), request, session)


@router.put("/configuration", response_model=Configuration, openapi_extra=CONFIGURER.openapi)
async def replace_configuration(
    body: ConfigurationWrite, request: Request, session: DbSession
) -> Configuration:
    """Replace the whole configuration; omitted fields take their defaults."""
    return await _write(body, await CONFIGURER(request), request, session)


@router.patch("/configuration", response_model=Configuration, openapi_extra=CONFIGURER.openapi)
async def update_configuration(
    body: ConfigurationPatch, request: Request, session: DbSession
) -> Configuration:
    """Change only the fields sent (`webhook_uri: null` removes the webhook)."""
    return await _write(body, await CONFIGURER(request), request, session)


@router.delete("/configuration", status_code=204, openapi_extra=CONFIGURER.openapi)
async def reset_configuration(request: Request, session: DbSession) -> None:
    """Reset the configuration to its defaults."""
    principal = await CONFIGURER(request)
    before = render(await configuration_service.get(session, principal.app_id))
    after = render(await configuration_service.reset(session, app_id=principal.app_id))
    await audit_log.record(
        session, Actor.of_key(principal), principal.app_id, AuditAction.configuration_reset,
        changes=configuration_changes(before, after),
    )  # fmt: skip
    get_app_state(request).auth.forget_clients()


async def _write(
    body: ConfigurationWrite | ConfigurationPatch,
    principal: AppPrincipal,
    request: Request,
    session: DbSession,
) -> Configuration:
    before = render(await configuration_service.get(session, principal.app_id))
    after = render(
        await configuration_service.update(
            session, app_id=principal.app_id, changes=body, documentation_url=_docs_url(request)
        )
    )
    await audit_log.record(
        session, Actor.of_key(principal), principal.app_id, AuditAction.configuration_updated,
        changes=configuration_changes(before, after),
    )  # fmt: skip
    get_app_state(request).auth.forget_clients()  # user-id field and allow-list are part of auth
    return after


@router.get(
    "/token", response_model=TokenInfo, response_model_exclude_none=True, openapi_extra=ANY_TOKEN.openapi
)
async def token_info(request: Request) -> TokenInfo:
    """What the presented token (or Basic credentials) may do."""
    principal = await ANY_TOKEN(request)
    return TokenInfo(
        kind=principal.kind.value,
        app_id=principal.app_id,
        client_id=principal.client.client_id,
        mode=principal.app_mode,
        scopes=list(principal.scopes),
        organization=principal.organization,
        user_id_field=principal.user_field,
        user=principal.user,
        item_id=principal.item,
        expires_at=principal.expires_at,
    )


@router.get(
    "/user",
    responses={200: {"description": '`{"user": {...}}`, or `{}` when no such user exists'}},
    openapi_extra=USER_READER.openapi,
)
async def current_user(request: Request, session: DbSession) -> dict[str, Any]:
    """The end user a user token is for; `{}` when that user does not exist (yet)."""
    principal = await USER_READER(request)
    assert principal.user is not None
    assert principal.user_field is not None
    user = await end_user_repository.find(
        session, principal.app_id, field=principal.user_field, value=principal.user
    )
    if user is None:
        return {}
    return {
        "user": {
            "guid": user.guid,
            "uid": user.uid,
            "id": user.external_id,
            "created_at": user.created_at.isoformat(),
        }
    }


@router.get(
    "/item",
    responses={200: {"description": '`{"item": {...}}`, or `{}` when no such item exists'}},
    openapi_extra=ITEM_READER.openapi,
)
async def current_item(request: Request, session: DbSession) -> dict[str, Any]:
    """The link an item token is for; `{}` when that item does not exist in the token's organization."""
    principal = await ITEM_READER(request)
    assert principal.item is not None
    assert principal.organization is not None
    try:
        link_id = uuid.UUID(principal.item)
    except ValueError:
        return {}
    link = await get_link(session, principal, link_id)
    if link is None or link.state == "deleted":
        return {}
    organization = await organization_key_of(session, link)
    return {
        "item": {
            "item_id": str(link.id),
            "institution_id": link.institution_id,
            "state": link.state,
            "organization": organization,
            "created_at": link.created_at.isoformat(),
        }
    }
