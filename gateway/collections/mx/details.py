"""MX account numbers (by account, by member) and account owners (by member)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from formats.mx import render
from gateway.collections.mx.access import (
    OwnedAccount,
    accessible_account,
    accessible_member,
    readable_user,
    user_accounts,
)
from gateway.collections.mx.auth import MX_READER
from gateway.collections.mx.responses import PageParam, RecordsPerPage, page_of, per_page
from gateway.collections.mx.routing import MxRoute
from gateway.dependencies import DbSession
from gateway.models.end_user import EndUser
from gateway.products.repository import product_details

router = APIRouter(route_class=MxRoute, tags=["mx"])


def _granted(owned: list[OwnedAccount], product: str) -> list[OwnedAccount]:
    return [o for o in owned if product in o.link.products]


async def _account_numbers(
    session: DbSession, user: EndUser, owned: list[OwnedAccount]
) -> list[dict[str, Any]]:
    """The numbers of those accounts whose link was granted account numbers, as MX renders them."""
    places = {o.account.id: render.place(o.account, user) for o in _granted(owned, "account_numbers")}
    numbers = await product_details.numbers(session, user.app_id, list(places))
    return [render.account_number(n, places[n.account_id]) for n in numbers]


@router.get("/users/{user_guid}/accounts/{account_guid}/account_numbers", openapi_extra=MX_READER.openapi)
async def list_account_numbers_by_account(
    user_guid: str, account_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    owned = [await accessible_account(session, principal, user, account_guid)]
    rendered = await _account_numbers(session, user, owned)
    return page_of("account_numbers", rendered, page, per_page(records_per_page))


@router.get("/users/{user_guid}/members/{member_guid}/account_numbers", openapi_extra=MX_READER.openapi)
async def list_account_numbers_by_member(
    user_guid: str, member_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    member = await accessible_member(session, principal, user, member_guid)
    rendered = await _account_numbers(session, user, await user_accounts(session, principal, user, member))
    return page_of("account_numbers", rendered, page, per_page(records_per_page))


@router.get("/users/{user_guid}/members/{member_guid}/account_owners", openapi_extra=MX_READER.openapi)
async def list_account_owners_by_member(
    user_guid: str, member_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    member = await accessible_member(session, principal, user, member_guid)
    owned = _granted(await user_accounts(session, principal, user, member), "identity")
    places = {o.account.id: render.place(o.account, user) for o in owned}
    owners = await product_details.owners(session, user.app_id, list(places))
    rendered = [render.account_owner(o, places[o.account_id]) for o in owners]
    return page_of("account_owners", rendered, page, per_page(records_per_page))
