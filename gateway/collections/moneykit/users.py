"""MoneyKit `/users/{id}/...`: one end user's links, accounts and transactions across links.

`{id}` is the `customer_user.id` the app gave. An unknown user has no links: the answer is an empty
`links` map (MoneyKit's SDK requires the key, so Link Money's bare `{}` would break it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from formats.moneykit import render
from gateway.auth.principal import AppPrincipal
from gateway.collections.moneykit.links import LINK_READER, json_response, rendered_link
from gateway.collections.moneykit.params import PageNumber, PageSize, date_window
from gateway.collections.moneykit.routing import MoneyKitRoute
from gateway.dependencies import DbSession, ReadSession
from gateway.end_users.repository import end_user_repository
from gateway.links.readable import links_of_end_user
from gateway.models.link import Link
from gateway.products.repository import product_reader
from gateway.transactions.repository import transaction_reader

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])


async def _user_links(session: AsyncSession, principal: AppPrincipal, customer_id: str) -> list[Link]:
    user = await end_user_repository.find(session, principal.app_id, field="id", value=customer_id[:255])
    if user is None:
        return []
    return await links_of_end_user(session, principal, user.id)


@router.get("/users/{user_id}/links", openapi_extra=LINK_READER.openapi)
async def get_user_links(user_id: str, request: Request, session: DbSession) -> Response:
    principal = await LINK_READER(request)
    links = await _user_links(session, principal, user_id)
    return json_response({"links": {str(link.id): await rendered_link(session, link) for link in links}})


@router.get("/users/{user_id}/accounts", openapi_extra=LINK_READER.openapi)
async def get_user_accounts(user_id: str, request: Request, session: DbSession) -> Response:
    principal = await LINK_READER(request)
    groups: dict[str, Any] = {}
    for link in await _user_links(session, principal, user_id):
        accounts = await product_reader.accounts(session, link.app_id, link.id)
        groups[str(link.id)] = {
            "accounts": [render.account(a) for a in accounts],
            **({"last_synced_at": link.last_synced_at.isoformat()} if link.last_synced_at else {}),
        }
    return json_response({"links": groups})


@router.get("/users/{user_id}/transactions", openapi_extra=LINK_READER.openapi)
async def get_user_transactions(
    user_id: str,
    request: Request,
    session: ReadSession,
    page: PageNumber = 1,
    size: PageSize = 50,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Response:
    """The user's transactions across every link granting transactions, newest first."""
    principal = await LINK_READER(request)
    start, end = date_window(start_date, end_date)
    links = [
        link for link in await _user_links(session, principal, user_id) if "transactions" in link.products
    ]
    accounts = {
        str(account.id): render.basic_account(account, link)
        for link in links
        for account in await product_reader.accounts(session, link.app_id, link.id)
    }
    rows, total = await transaction_reader.page(
        session, principal.app_id, [link.id for link in links], start=start, end=end,
        offset=(page - 1) * size, limit=size,
    )  # fmt: skip
    return json_response(
        {
            "total": total,
            "page": page,
            "size": size,
            "transactions": [render.transaction(row) for row in rows],
            "accounts": accounts,
        }  # fmt: skip
    )
