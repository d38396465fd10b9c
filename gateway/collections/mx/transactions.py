"""MX transactions by user, by account and by member: `from_date` (default 120 days ago) to `to_date`
(default 5 days ahead, to catch pending ones), newest first, paged in the database; and one by guid."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from formats.mx import render
from formats.mx.render import pagination, parse_guid
from gateway.auth.principal import AppPrincipal
from gateway.collections.mx.access import (
    DATA_STATES,
    OwnedAccount,
    accessible_account,
    accessible_member,
    accounts_of_links,
    data_links,
    readable_links,
    readable_user,
    user_accounts,
)
from gateway.collections.mx.auth import MX_READER
from gateway.collections.mx.responses import PageParam, RecordsPerPage, listed, mx_response, per_page
from gateway.collections.mx.routing import MxRoute
from gateway.dependencies import ReadSession
from gateway.errors import InvalidRequest, NotFound
from gateway.models.end_user import EndUser
from gateway.models.link import Link
from gateway.transactions.repository import transaction_reader

router = APIRouter(route_class=MxRoute, tags=["mx"])

DEFAULT_HISTORY = dt.timedelta(days=120)
DEFAULT_AHEAD = dt.timedelta(days=5)


class TransactionNotFound(NotFound):
    default_message = "Transaction not found."


def date_window(from_date: dt.date | None, to_date: dt.date | None) -> tuple[dt.date, dt.date]:
    today = dt.date.today()
    start, end = from_date or today - DEFAULT_HISTORY, to_date or today + DEFAULT_AHEAD
    if start > end:
        raise InvalidRequest("from_date must not be after to_date.")
    return start, end


async def _page(
    session: AsyncSession, principal: AppPrincipal, user: EndUser, *, member: Link | None,
    account: OwnedAccount | None, from_date: dt.date | None, to_date: dt.date | None, page: int,
    records_per_page: int | None,
) -> Response:  # fmt: skip
    start, end = date_window(from_date, to_date)
    size = per_page(records_per_page)
    links = await readable_links(session, principal, user, member)
    serving = [link.id for link in links if link.state in DATA_STATES and "transactions" in link.products]
    rows, total = await transaction_reader.page(
        session, user.app_id, serving, start=start, end=end, offset=(page - 1) * size,
        limit=size, account_ids=[account.account.id] if account is not None else None,
    )  # fmt: skip
    # Where each row's account sits (a row of an account that does not serve accounts is left out).
    owned = [account] if account is not None else await accounts_of_links(
        session, user, links, {row.account_id for row in rows}
    )  # fmt: skip
    places = {o.account.id: render.place(o.account, user) for o in owned}
    rendered = [render.transaction(row, places[row.account_id]) for row in rows if row.account_id in places]
    return listed("transactions", rendered, page, size, total)


@router.get("/users/{user_guid}/transactions", openapi_extra=MX_READER.openapi)
async def list_transactions(
    user_guid: str, request: Request, session: ReadSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None, from_date: dt.date | None = None, to_date: dt.date | None = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    return await _page(session, principal, user, member=None, account=None, from_date=from_date,
                       to_date=to_date, page=page, records_per_page=records_per_page)  # fmt: skip


@router.get("/users/{user_guid}/accounts/{account_guid}/transactions", openapi_extra=MX_READER.openapi)
async def list_transactions_by_account(
    user_guid: str, account_guid: str, request: Request, session: ReadSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None, from_date: dt.date | None = None, to_date: dt.date | None = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    owned = await accessible_account(session, principal, user, account_guid)
    return await _page(session, principal, user, member=owned.link, account=owned,
                       from_date=from_date, to_date=to_date, page=page,
                       records_per_page=records_per_page)  # fmt: skip


@router.get("/users/{user_guid}/members/{member_guid}/transactions", openapi_extra=MX_READER.openapi)
async def list_transactions_by_member(
    user_guid: str, member_guid: str, request: Request, session: ReadSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None, from_date: dt.date | None = None, to_date: dt.date | None = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    member = await accessible_member(session, principal, user, member_guid)
    return await _page(session, principal, user, member=member, account=None, from_date=from_date,
                       to_date=to_date, page=page, records_per_page=records_per_page)  # fmt: skip


@router.get("/users/{user_guid}/transactions/{transaction_guid}", openapi_extra=MX_READER.openapi)
async def read_transaction(
    user_guid: str, transaction_guid: str, request: Request, session: ReadSession,
    includes: str | None = Query(default=None, max_length=200),
) -> Response:  # fmt: skip
    """readTransaction. The description types the answer as a one-item `transactions` page (the official
    client reads that); MX's documentation shows `{"transaction": ...}`. Both are sent, so either reader
    finds it. `includes` is accepted; no enhancement is served, so it adds nothing."""
    principal, user = await readable_user(request, session, user_guid)
    transaction_id = parse_guid("transaction", transaction_guid)
    links = await data_links(session, principal, user, None, "transactions")
    row = None
    if transaction_id is not None:
        row = await transaction_reader.one(session, user.app_id, [link.id for link in links], transaction_id)
    places = {
        o.account.id: render.place(o.account, user) for o in await user_accounts(session, principal, user)
    }
    if row is None or row.account_id not in places:
        raise TransactionNotFound()
    rendered = render.transaction(row, places[row.account_id])
    return mx_response(
        {"transaction": rendered, "transactions": [rendered], "pagination": pagination(1, 1, 1)}
    )
