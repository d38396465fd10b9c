"""`/v1/dashboard/apps/{app_id}/links`: how the app's links are doing (provider, state, last refresh
and its error), for the developer who owns the app."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, Field

from gateway.auth.dependencies import DASHBOARD, SecuredRoute
from gateway.collections.ids import parse_id
from gateway.collections.routing import CollectionRouter
from gateway.dependencies import DbSession
from gateway.developers.service import developer_service
from gateway.errors import NotFound
from gateway.links.health import LinkHealth, link_health, links_health
from gateway.pagination import Page, Pagination

router = CollectionRouter(prefix="/v1/dashboard", tags=["dashboard"], route_class=SecuredRoute)


class LastRefreshOut(BaseModel):
    status: str
    trigger: str
    attempts: int
    asked_at: datetime
    finished_at: datetime | None
    error: str | None


class LinkHealthOut(BaseModel):
    link_id: str
    end_user_id: str | None
    state: str
    error_code: str | None
    provider: str
    institution_id: str
    institution_name: str
    products: list[str]
    created_at: datetime
    last_synced_at: datetime | None
    last_refresh: LastRefreshOut | None
    account_errors: dict[str, str] = Field(
        description="Accounts the upstream could not read at the last refresh (account id: error code); "
        "they kept their data and the link is not in error for them."
    )


class LinkHealthList(BaseModel):
    links: list[LinkHealthOut]
    pagination: Pagination


def _out(health: LinkHealth) -> LinkHealthOut:
    last = health.last_refresh
    return LinkHealthOut(
        link_id=str(health.link_id), end_user_id=health.end_user_id, state=health.state,
        error_code=health.error_code, provider=health.provider, institution_id=health.institution_id,
        institution_name=health.institution_name, products=list(health.products),
        created_at=health.created_at, last_synced_at=health.last_synced_at,
        last_refresh=LastRefreshOut(**vars(last)) if last is not None else None,
        account_errors=dict(health.account_errors),
    )  # fmt: skip


@router.get("/apps/{app_id}/links", response_model=LinkHealthList, openapi_extra=DASHBOARD.openapi)
async def list_links(
    request: Request,
    app_id: str,
    session: DbSession,
    page: Page,
    end_user_id: Annotated[
        str | None, Query(max_length=255, description="The app's id for the end user.")
    ] = None,
) -> LinkHealthList:
    """The app's links, newest first, each with its provider and its last refresh's outcome."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    found, total = await links_health(
        session, app.id, end_user_id=end_user_id, offset=page.offset, limit=page.per_page
    )
    return LinkHealthList(links=[_out(health) for health in found], pagination=page.describe(total))


@router.get("/apps/{app_id}/links/{link_id}", response_model=LinkHealthOut, openapi_extra=DASHBOARD.openapi)
async def get_link(request: Request, app_id: str, link_id: str, session: DbSession) -> LinkHealthOut:
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    health = await link_health(session, app.id, parse_id(link_id, "link"))
    if health is None:
        raise NotFound("No such link.")
    return _out(health)
