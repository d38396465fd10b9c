"""`/v1/dashboard/apps/{app_id}/providers`: which upstream providers an app offers its end users, and
the app's own keys for them (write-only)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import Request

from gateway.auth.dependencies import DASHBOARD, SecuredRoute
from gateway.collections.ids import parse_id, parse_key
from gateway.collections.routing import CollectionRouter
from gateway.dependencies import DbSession
from gateway.developers.audit import audit_log, provider_changes
from gateway.developers.service import developer_service
from gateway.models.audit import AuditAction
from gateway.models.developer import App
from gateway.state import get_app_state
from gateway.upstreams.configuration import ProviderStatus, provider_configuration
from gateway.upstreams.schemas import ProviderList, ProviderOut, ProviderUpdate

router = CollectionRouter(prefix="/v1/dashboard", tags=["dashboard"], route_class=SecuredRoute)


def _out(status: ProviderStatus) -> ProviderOut:
    return ProviderOut(
        provider=status.provider, configured=status.configured, enabled=status.enabled,
        app_credential_keys=list(status.app_credential_keys), credentials_set=status.credentials_set,
        overridden=status.overridden, problem=status.problem,
    )  # fmt: skip


async def _app(request: Request, session: DbSession, app_id: str) -> tuple[uuid.UUID, App]:
    """The developer of the session and their app."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    return developer.developer_id, app


def _action(credentials: Mapping[str, str] | None) -> AuditAction:
    if credentials is None:
        return AuditAction.provider_updated
    return AuditAction.provider_credentials_set if credentials else AuditAction.provider_credentials_removed


@router.get("/apps/{app_id}/providers", response_model=ProviderList, openapi_extra=DASHBOARD.openapi)
async def list_providers(request: Request, app_id: str, session: DbSession) -> ProviderList:
    """Every provider this deployment configures, whether the app offers it, and whether the app set
    keys of its own (never the keys themselves)."""
    _, app = await _app(request, session, app_id)
    providers = get_app_state(request).providers
    return ProviderList(
        providers=[_out(s) for s in await provider_configuration.statuses(session, app.id, providers)]
    )


@router.put(
    "/apps/{app_id}/providers/{provider}", response_model=ProviderOut, openapi_extra=DASHBOARD.openapi
)
async def update_provider(
    request: Request, app_id: str, provider: str, body: ProviderUpdate, session: DbSession
) -> ProviderOut:
    """Offer the provider to the app's end users or not, and set (or forget, with `{}`) the app's own
    keys for it; they are sealed at rest and never returned."""
    developer_id, app = await _app(request, session, app_id)
    state, name = get_app_state(request), parse_key(provider, "provider")
    before = await provider_configuration.status(session, app.id, state.providers, name)
    status = await provider_configuration.update(
        session, state.auth.box, app.id, state.providers, name,
        enabled=body.enabled, credentials=body.credentials,
    )  # fmt: skip
    await audit_log.record(
        session, await audit_log.developer(session, developer_id), app.id, _action(body.credentials),
        subject=name, changes=provider_changes(before, status, credentials=body.credentials),
    )  # fmt: skip
    return _out(status)


@router.delete("/apps/{app_id}/providers/{provider}", status_code=204, openapi_extra=DASHBOARD.openapi)
async def reset_provider(request: Request, app_id: str, provider: str, session: DbSession) -> None:
    """Back to the operator's settings: the app's override and keys are forgotten."""
    developer_id, app = await _app(request, session, app_id)
    providers, name = get_app_state(request).providers, parse_key(provider, "provider")
    before = await provider_configuration.status(session, app.id, providers, name)
    await provider_configuration.reset(session, app.id, providers, name)
    after = await provider_configuration.status(session, app.id, providers, name)
    await audit_log.record(
        session, await audit_log.developer(session, developer_id), app.id, AuditAction.provider_reset,
        subject=name, changes=provider_changes(before, after),
    )  # fmt: skip
