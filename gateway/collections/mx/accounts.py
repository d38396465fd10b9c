"""MX accounts, by user and by member."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from formats.mx import render
from gateway.collections.mx.access import (
    accessible_account,
    accessible_member,
    readable_user,
    user_accounts,
)
from gateway.collections.mx.auth import MX_READER
from gateway.collections.mx.responses import PageParam, RecordsPerPage, mx_response, page_of, per_page
from gateway.collections.mx.routing import MxRoute
from gateway.dependencies import DbSession

router = APIRouter(route_class=MxRoute, tags=["mx"])


@router.get("/users/{user_guid}/accounts", openapi_extra=MX_READER.openapi)
async def list_user_accounts(
    user_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    accounts = [
        render.account(o.account, o.link, user) for o in await user_accounts(session, principal, user)
    ]
    return page_of("accounts", accounts, page, per_page(records_per_page))


@router.get("/users/{user_guid}/members/{member_guid}/accounts", openapi_extra=MX_READER.openapi)
async def list_member_accounts(
    user_guid: str, member_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    member = await accessible_member(session, principal, user, member_guid)
    accounts = [
        render.account(o.account, o.link, user) for o in await user_accounts(session, principal, user, member)
    ]
    return page_of("accounts", accounts, page, per_page(records_per_page))


@router.get("/users/{user_guid}/accounts/{account_guid}", openapi_extra=MX_READER.openapi)
async def read_account(user_guid: str, account_guid: str, request: Request, session: DbSession) -> Response:
    principal, user = await readable_user(request, session, user_guid)
    owned = await accessible_account(session, principal, user, account_guid)
    return mx_response({"account": render.account(owned.account, owned.link, user)})


@router.get(
    "/users/{user_guid}/members/{member_guid}/accounts/{account_guid}", openapi_extra=MX_READER.openapi
)
async def read_member_account(
    user_guid: str, member_guid: str, account_guid: str, request: Request, session: DbSession
) -> Response:
    principal, user = await readable_user(request, session, user_guid)
    member = await accessible_member(session, principal, user, member_guid)
    owned = await accessible_account(session, principal, user, account_guid, member)
    return mx_response({"account": render.account(owned.account, owned.link, user)})
