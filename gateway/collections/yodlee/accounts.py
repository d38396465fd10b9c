"""`GET /accounts` (filters: accountId, container, providerAccountId, status), `GET /accounts/{accountId}`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from formats.yodlee import render
from gateway.collections.yodlee.access import USER_READER, json_response
from gateway.collections.yodlee.errors import YodleeError, invalid_value, resource_not_found
from gateway.collections.yodlee.ids import parse_id, parse_ids
from gateway.collections.yodlee.providers import provider_numbers
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.scope import links_by_ids, provider_account_ids
from gateway.dependencies import DbSession
from gateway.integer_ids.repository import IdKind, numbers_of
from gateway.models.account import Account
from gateway.models.link import Link
from gateway.products.repository import product_reader

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])

CONTAINERS = ("bank", "creditCard", "investment", "insurance", "loan", "reward", "bill", "realEstate",
              "otherAssets", "otherLiabilities")  # fmt: skip
STATUSES = ("ACTIVE", "INACTIVE", "TO_BE_CLOSED", "CLOSED")


async def rendered_accounts(
    session: AsyncSession, links: list[Link], accounts: list[Account]
) -> list[dict[str, Any]]:
    if not accounts:
        return []
    by_link = {link.id: link for link in links}
    ids = await numbers_of(session, accounts[0].app_id, IdKind.account, [a.id for a in accounts])
    link_ids = await provider_account_ids(session, links)
    providers = await provider_numbers(session, [link.institution_id for link in links])
    return [
        render.account(
            account,
            account_id=ids[account.id],
            provider_account_id=link_ids[account.link_id],
            provider_id=providers.get(by_link[account.link_id].institution_id, 0),
            provider_name=by_link[account.link_id].institution.name,
        )  # fmt: skip
        for account in accounts
    ]


def check_container(value: str | None) -> str | None:
    if value is not None and value not in CONTAINERS:
        raise invalid_value("container")
    return value


@router.get("/accounts", openapi_extra=USER_READER.openapi)
async def get_all_accounts(
    request: Request,
    session: DbSession,
    account_id: Annotated[str | None, Query(alias="accountId", max_length=2000)] = None,
    container: Annotated[str | None, Query(max_length=32)] = None,
    provider_account_id: Annotated[str | None, Query(alias="providerAccountId", max_length=2000)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    include: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The user's accounts (every provider account, or those named), with their latest balances."""
    principal = await USER_READER(request)
    check_container(container)
    if status is not None and status not in STATUSES:
        raise invalid_value("status")
    wanted_accounts = parse_ids(account_id, "accountId")
    links = await links_by_ids(session, principal, parse_ids(provider_account_id, "providerAccountId"))
    accounts = await product_reader.accounts_of_links(session, principal.app_id, [link.id for link in links])
    rendered = await rendered_accounts(session, links, accounts)
    if container is not None:
        rendered = [a for a in rendered if a["CONTAINER"] == container]
    if status is not None:
        rendered = [a for a in rendered if a["accountStatus"] == status]
    if wanted_accounts is not None:
        rendered = [a for a in rendered if a["id"] in wanted_accounts]
    return json_response({"account": rendered})


@router.get("/accounts/{accountId}", openapi_extra=USER_READER.openapi)
async def get_account(accountId: str, request: Request, session: DbSession) -> Response:
    """One account, as an array of one. Its description declares no 400: an id that is malformed,
    missing, or another user's or app's is 404 (Y807), all alike."""
    principal = await USER_READER(request)
    try:
        number = parse_id(accountId, "accountId")
    except YodleeError as exc:
        raise resource_not_found() from exc
    links = await links_by_ids(session, principal, None)
    accounts = await product_reader.accounts_of_links(session, principal.app_id, [link.id for link in links])
    rendered = [a for a in await rendered_accounts(session, links, accounts) if a["id"] == number]
    if not rendered:
        raise resource_not_found()
    return json_response({"account": rendered})
