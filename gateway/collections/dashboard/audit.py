"""`/v1/dashboard/apps/{app_id}/audit`: who changed what on the app, newest first."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from gateway.auth.dependencies import DASHBOARD, SecuredRoute
from gateway.collections.ids import parse_id
from gateway.collections.routing import CollectionRouter
from gateway.dependencies import DbSession
from gateway.developers.audit import ActorKind, audit_log
from gateway.developers.schemas import AuditActorOut, AuditEntryList, AuditEntryOut, FieldChange
from gateway.developers.service import developer_service
from gateway.models.audit import AuditAction, AuditEntry
from gateway.pagination import Page

router = CollectionRouter(prefix="/v1/dashboard", tags=["dashboard"], route_class=SecuredRoute)


def _out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id, app_id=entry.app_id, action=AuditAction(entry.action),
        actor=AuditActorOut(kind=cast(ActorKind, entry.actor_kind), id=entry.actor_id, name=entry.actor_name),
        subject=entry.subject, organization=entry.organization, request_id=entry.request_id,
        occurred_at=entry.occurred_at,
        changes={field: FieldChange(**change) for field, change in entry.changes.items()},
    )  # fmt: skip


@router.get(
    "/apps/{app_id}/audit", response_model=AuditEntryList, openapi_extra=DASHBOARD.openapi,
    responses={404: {"description": "No such app of this developer's"}},
)  # fmt: skip
async def list_audit_entries(request: Request, app_id: str, session: DbSession, page: Page) -> AuditEntryList:
    """Every dashboard and configuration action on the app, newest first: who acted (a developer or one
    of the app's API keys), when, in which request, and what changed, with secrets masked."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    entries, total = await audit_log.page(
        session, developer.developer_id, app.id, offset=page.offset, limit=page.per_page
    )
    return AuditEntryList(entries=[_out(entry) for entry in entries], pagination=page.describe(total))
