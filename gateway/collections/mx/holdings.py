"""MX investment holdings by user, by member and by account, and one by guid."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from formats.mx import render
from gateway.auth.principal import AppPrincipal
from gateway.collections.mx.access import (
    accessible_account,
    accessible_member,
    data_links,
    readable_user,
    user_accounts,
)
from gateway.collections.mx.auth import MX_READER
from gateway.collections.mx.responses import PageParam, RecordsPerPage, mx_response, page_of, per_page
from gateway.collections.mx.routing import MxRoute
from gateway.dependencies import DbSession
from gateway.errors import NotFound
from gateway.models.end_user import EndUser
from gateway.models.link import Link
from gateway.products.repository import product_details

router = APIRouter(route_class=MxRoute, tags=["mx"])


class HoldingNotFound(NotFound):
    default_message = "Holding not found."


async def _holdings(
    session: AsyncSession,
    principal: AppPrincipal,
    user: EndUser,
    member: Link | None,
    account_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    places = {
        o.account.id: render.place(o.account, user)
        for o in await user_accounts(session, principal, user, member)
    }
    wanted = [account_id] if account_id is not None else list(places)
    rendered = []
    for link in await data_links(session, principal, user, member, "investments"):
        holdings = await product_details.holdings(session, user.app_id, link.id, wanted)
        securities = {s.id: s for s in await product_details.securities(
            session, user.app_id, [h.security_id for h in holdings])}  # fmt: skip
        rendered += [render.holding(h, securities.get(h.security_id), places[h.account_id]) for h in holdings]
    return rendered


@router.get("/users/{user_guid}/investment_holdings", openapi_extra=MX_READER.openapi)
async def list_holdings(
    user_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    return page_of(
        "investment_holdings",
        await _holdings(session, principal, user, None),
        page,
        per_page(records_per_page),
    )


@router.get("/users/{user_guid}/members/{member_guid}/investment_holdings", openapi_extra=MX_READER.openapi)
async def list_holdings_by_member(
    user_guid: str, member_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    member = await accessible_member(session, principal, user, member_guid)
    holdings = await _holdings(session, principal, user, member)
    return page_of("investment_holdings", holdings, page, per_page(records_per_page))


@router.get("/users/{user_guid}/accounts/{account_guid}/investment_holdings", openapi_extra=MX_READER.openapi)
async def list_holdings_by_account(
    user_guid: str, account_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    owned = await accessible_account(session, principal, user, account_guid)
    holdings = await _holdings(session, principal, user, owned.link, owned.account.id)
    return page_of("investment_holdings", holdings, page, per_page(records_per_page))


@router.get("/users/{user_guid}/investment_holdings/{holding_guid}", openapi_extra=MX_READER.openapi)
async def read_holding(user_guid: str, holding_guid: str, request: Request, session: DbSession) -> Response:
    """readHolding: `{investment_holding}`."""
    principal, user = await readable_user(request, session, user_guid)
    holding_id = render.parse_guid("holding", holding_guid)
    wanted = render.guid("holding", holding_id) if holding_id is not None else None
    found = next((h for h in await _holdings(session, principal, user, None) if h["guid"] == wanted), None)
    if found is None:
        raise HoldingNotFound()
    return mx_response({"investment_holding": found})
