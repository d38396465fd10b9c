"""`GET /transactions` (fromDate, toDate, skip, top ≤ 500, container, accountId, baseType, keyword) and
`GET /transactions/count` with the same filters. The default window is the last 30 days.
`GET /transactions/categories` lists the categories (formats/yodlee/categories.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from formats.yodlee import categories, render
from gateway.auth.principal import AppPrincipal
from gateway.collections.yodlee.access import USER_READER, json_response
from gateway.collections.yodlee.errors import YodleeError, invalid_value
from gateway.collections.yodlee.ids import parse_ids
from gateway.collections.yodlee.params import bounded, day
from gateway.collections.yodlee.providers import PROVIDER_READER
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.scope import chosen_accounts, links_of_token
from gateway.dependencies import ReadSession
from gateway.integer_ids.repository import IdKind, numbers_of
from gateway.products.repository import product_reader
from gateway.text import is_storable
from gateway.transactions.records import ListedTransaction
from gateway.transactions.repository import TransactionSearch, transaction_reader

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])

TRANSACTION_CONTAINERS = ("bank", "creditCard", "investment", "insurance", "loan")
DEFAULT_WINDOW = dt.timedelta(days=30)
MAX_TOP = 500

AccountIdParam = Annotated[str | None, Query(alias="accountId", max_length=2000)]
ContainerParam = Annotated[str | None, Query(max_length=100)]
BaseTypeParam = Annotated[str | None, Query(alias="baseType", max_length=16)]
KeywordParam = Annotated[str | None, Query(max_length=200)]
DateParam = Annotated[str | None, Query(max_length=32)]


async def _filter(
    session: AsyncSession, principal: AppPrincipal, *, account_id: str | None, container: str | None,
    base_type: str | None, keyword: str | None, from_date: str | None, to_date: str | None,
) -> TransactionSearch:  # fmt: skip
    """The search the filters name, over the token user's accounts that serve transactions."""
    if container is not None and "," in container:
        raise YodleeError("Y805", "Multiple container not supported")
    if container is not None and container not in TRANSACTION_CONTAINERS:
        raise invalid_value("container")
    if base_type is not None and base_type not in ("CREDIT", "DEBIT"):
        raise invalid_value("baseType")
    if keyword is not None and not is_storable(keyword):
        raise invalid_value("keyword")
    end = day(to_date, "toDate") or dt.date.today()
    start = day(from_date, "fromDate") or end - DEFAULT_WINDOW
    if start > end:
        raise YodleeError("Y809", "Invalid date range")
    links = await links_of_token(session, principal, with_institution=False)
    link_ids = [link.id for link in links if "transactions" in link.products]
    numbers = parse_ids(account_id, "accountId")
    chosen = None
    if numbers is not None or container is not None:  # only then are the accounts needed up front
        accounts = await product_reader.accounts_of_links(session, principal.app_id, link_ids)
        chosen = accounts if numbers is None else await chosen_accounts(session, accounts, numbers)
        if container is not None:
            chosen = [a for a in chosen if render.container(a.type, a.subtype) == container]
    return TransactionSearch(
        link_ids=link_ids, start=start, end=end,
        account_ids=[a.id for a in chosen] if chosen is not None else None,
        direction=base_type.lower() if base_type else None, keyword=keyword.strip() if keyword else None,
    )  # fmt: skip


@router.get("/transactions", openapi_extra=USER_READER.openapi)
async def get_transactions(
    request: Request,
    session: ReadSession,
    account_id: AccountIdParam = None,
    container: ContainerParam = None,
    base_type: BaseTypeParam = None,
    keyword: KeywordParam = None,
    from_date: Annotated[DateParam, Query(alias="fromDate")] = None,
    to_date: Annotated[DateParam, Query(alias="toDate")] = None,
    skip: Annotated[str | None, Query(max_length=12)] = None,
    top: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """The user's transactions, newest first, `top` (1-500, default 500) after `skip`."""
    principal = await USER_READER(request)
    offset = bounded(skip, "skip", 0, 2**31 - 1, default=0)
    limit = bounded(top, "top", 1, MAX_TOP, default=MAX_TOP)
    wanted = await _filter(
        session, principal, account_id=account_id, container=container, base_type=base_type,
        keyword=keyword, from_date=from_date, to_date=to_date,
    )  # fmt: skip
    rows = await transaction_reader.search(session, principal.app_id, wanted, offset=offset, limit=limit)
    return json_response({"transaction": await rendered_transactions(session, principal, rows)})


@router.get("/transactions/count", openapi_extra=USER_READER.openapi)
async def get_transactions_count(
    request: Request,
    session: ReadSession,
    account_id: AccountIdParam = None,
    container: ContainerParam = None,
    base_type: BaseTypeParam = None,
    keyword: KeywordParam = None,
    from_date: Annotated[DateParam, Query(alias="fromDate")] = None,
    to_date: Annotated[DateParam, Query(alias="toDate")] = None,
) -> Response:
    """How many transactions `GET /transactions` would page through with the same filters."""
    principal = await USER_READER(request)
    wanted = await _filter(
        session, principal, account_id=account_id, container=container, base_type=base_type,
        keyword=keyword, from_date=from_date, to_date=to_date,
    )  # fmt: skip
    total = await transaction_reader.count_matching(session, principal.app_id, wanted)
    return json_response({"transaction": {"TOTAL": {"count": total}}})


@router.get("/transactions/categories", openapi_extra=PROVIDER_READER.openapi)
async def get_transaction_categories(request: Request) -> Response:
    """The system categories transactions carry (`categoryId`, `detailCategoryId`); admin or user token.
    Users cannot define categories of their own here."""
    await PROVIDER_READER(request)
    return json_response({"transactionCategory": categories.rendered()})


async def rendered_transactions(
    session: AsyncSession, principal: AppPrincipal, rows: list[ListedTransaction]
) -> list[dict[str, Any]]:
    """The rows as Yodlee lists them, reading only the accounts they are in."""
    if not rows:
        return []
    accounts = await product_reader.accounts_of_links(
        session, principal.app_id, list({row.link_id for row in rows}), {row.account_id for row in rows}
    )
    account_ids = await numbers_of(session, principal.app_id, IdKind.account, [a.id for a in accounts])
    containers = {a.id: render.container(a.type, a.subtype) for a in accounts}
    return [
        render.transaction(
            row,
            transaction_id=row.number,
            account_id=account_ids[row.account_id],
            container_name=containers[row.account_id],
        )  # fmt: skip
        for row in rows
    ]
