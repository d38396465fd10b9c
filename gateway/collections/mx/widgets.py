"""MX connect widget URLs, pointing at our hosted Connect pages.

The session is made for the user with every product; when the end user finishes, the link is connected
at once (no token exchange, as MX members appear by themselves) and shows up as a member.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import AppPrincipal
from gateway.collections.mx.access import accessible_user
from gateway.collections.mx.auth import MX_WRITER
from gateway.collections.mx.members import ALL_PRODUCTS
from gateway.collections.mx.responses import mx_response
from gateway.collections.mx.routing import MxRoute
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart, StorableInput
from gateway.errors import InvalidRequest
from gateway.institutions.catalog import IMPORTED_PROVIDER, get_institution
from gateway.links import connect
from gateway.state import get_app_state

router = APIRouter(route_class=MxRoute, tags=["mx"])


class WidgetConfig(BodyPart):
    model_config = ConfigDict(extra="ignore")
    current_institution_code: str | None = Field(default=None, max_length=64)
    mode: str | None = Field(default=None, max_length=32)


class ConnectWidgetRequest(StorableInput):
    model_config = ConfigDict(extra="ignore")
    config: WidgetConfig | None = None


class WidgetUrlFields(WidgetConfig):
    widget_type: str = Field(min_length=1, max_length=64)


class WidgetUrlRequest(StorableInput):
    model_config = ConfigDict(extra="ignore")
    widget_url: WidgetUrlFields


async def _connect_url(
    request: Request,
    session: AsyncSession,
    principal: AppPrincipal,
    user_guid: str,
    config: WidgetConfig | None,
) -> str:
    user = await accessible_user(session, principal, user_guid)
    institution_id = config.current_institution_code if config is not None else None
    if institution_id is not None:
        institution = await get_institution(session, institution_id)
        if institution is None or institution.provider == IMPORTED_PROVIDER:
            raise InvalidRequest("current_institution_code names no institution.")
    token = await connect.create_session(
        session, app_id=principal.app_id, end_user_id=user.id, redirect_uri=None, products=ALL_PRODUCTS,
        institution_id=institution_id, gateway_user=f"mx:{user.guid}", organization=principal.organization,
    )  # fmt: skip
    base = get_app_state(request).settings.base_url.rstrip("/")
    return f"{base}/connect?{urlencode({'link_session_token': token})}"


@router.post("/users/{user_guid}/connect_widget_url", openapi_extra=MX_WRITER.openapi)
async def request_connect_widget_url(
    user_guid: str, request: Request, session: DbSession, body: ConnectWidgetRequest | None = None
) -> Response:
    """requestConnectWidgetURL (deprecated by MX, still served): `{user: {connect_widget_url, guid}}`."""
    principal = await MX_WRITER(request)
    url = await _connect_url(request, session, principal, user_guid, body.config if body else None)
    return mx_response({"user": {"connect_widget_url": url, "guid": user_guid}})


@router.post("/users/{user_guid}/widget_urls", openapi_extra=MX_WRITER.openapi)
async def request_widget_url(
    user_guid: str, body: WidgetUrlRequest, request: Request, session: DbSession
) -> Response:
    """requestWidgetURL: only `connect_widget` exists here; the URL works for 30 minutes, once."""
    principal = await MX_WRITER(request)
    if body.widget_url.widget_type != "connect_widget":
        raise InvalidRequest("Only widget_type connect_widget is served.")
    url = await _connect_url(request, session, principal, user_guid, body.widget_url)
    return mx_response({"widget_url": {"type": "connect_widget", "url": url, "user_id": None}})
