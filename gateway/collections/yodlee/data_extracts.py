"""`GET /dataExtracts/events` (which users changed in a window) and `GET /dataExtracts/userData` (what
changed for one user), admin token only, over link updates and the transaction change log.

Windows are `YYYY-MM-DDThh:mm:ssZ`, not in the future, not older than 7 days, fromDate ≤ toDate.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from formats.yodlee import render
from gateway.collections.yodlee.access import ADMIN_READER, json_response, login_name
from gateway.collections.yodlee.accounts import rendered_accounts
from gateway.collections.yodlee.errors import YodleeError, invalid_value
from gateway.collections.yodlee.params import TIMESTAMP_FORMAT, moment
from gateway.collections.yodlee.repository import (
    accounts_changed,
    links_changed,
    users_changed,
)
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.scope import rendered_provider_accounts
from gateway.dependencies import DbSession
from gateway.end_users.repository import end_user_repository
from gateway.integer_ids.repository import IdKind, numbers_of
from gateway.products.repository import product_reader
from gateway.text import is_storable
from gateway.transactions.repository import transaction_reader

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])

OLDEST = dt.timedelta(days=7)
MAX_TRANSACTIONS = 500
DateTimeParam = Annotated[str | None, Query(max_length=32)]


def _window(from_date: str | None, to_date: str | None) -> tuple[dt.datetime, dt.datetime]:
    start, end = moment(from_date, "fromDate"), moment(to_date, "toDate")
    now = dt.datetime.now(dt.UTC)
    if start > now or end > now + dt.timedelta(seconds=1):
        raise YodleeError("Y800", "Invalid value for fromDate/toDate: must not be in the future")
    if start < now - OLDEST:
        raise YodleeError("Y800", "Invalid value for fromDate: must not be older than 7 days")
    if start > end:
        raise YodleeError("Y800", "Invalid value for fromDate: must not be after toDate")
    return start, end


@router.get("/dataExtracts/events", openapi_extra=ADMIN_READER.openapi)
async def get_data_extracts_events(
    request: Request,
    session: DbSession,
    event_name: Annotated[str | None, Query(alias="eventName", max_length=48)] = None,
    from_date: Annotated[DateTimeParam, Query(alias="fromDate")] = None,
    to_date: Annotated[DateTimeParam, Query(alias="toDate")] = None,
) -> Response:
    """The users whose data changed in the window, each with the link that reads their changes."""
    principal = await ADMIN_READER(request)
    if event_name is None:
        raise YodleeError("Y803", "eventName required")
    if event_name != "DATA_UPDATES":
        raise invalid_value("eventName")
    start, end = _window(from_date, to_date)
    window = {"fromDate": start.strftime(TIMESTAMP_FORMAT), "toDate": end.strftime(TIMESTAMP_FORMAT)}
    field = principal.client.user_id_field
    users = [login_name(user, field) for user in await users_changed(session, principal.app_id, start, end)]
    user_data = [
        {"user": {"loginName": name}, "links": [{"methodType": "GET", "rel": "getUserData",
         "href": "dataExtracts/userData?" + urlencode({**window, "loginName": name})}]}
        for name in users
    ]  # fmt: skip
    data = {**window, "userCount": len(user_data), "userData": user_data}
    return json_response({"event": {"info": "DATA_UPDATES.USER_DATA", "data": data}})


@router.get("/dataExtracts/userData", openapi_extra=ADMIN_READER.openapi)
async def get_data_extracts_user_data(
    request: Request,
    session: DbSession,
    login: Annotated[str | None, Query(alias="loginName", max_length=255)] = None,
    from_date: Annotated[DateTimeParam, Query(alias="fromDate")] = None,
    to_date: Annotated[DateTimeParam, Query(alias="toDate")] = None,
) -> Response:
    """One user's provider accounts, accounts and transactions (deleted ones flagged `isDeleted`) that
    changed in the window; at most 500 transactions, with `totalTransactionsCount`."""
    principal = await ADMIN_READER(request)
    if not login:
        raise YodleeError("Y803", "loginName required")
    if not is_storable(login):
        raise invalid_value("loginName")
    start, end = _window(from_date, to_date)
    field = principal.client.user_id_field
    user = await end_user_repository.find(session, principal.app_id, field=field, value=login)
    if user is None:
        raise invalid_value("loginName")
    links = await links_changed(session, principal, user.id, start, end)
    link_ids = [link.id for link in links]
    provider_accounts = await rendered_provider_accounts(session, links)
    for link, rendered in zip(links, provider_accounts, strict=True):
        if link.state == "deleted":
            rendered["isDeleted"] = True
    accounts = await rendered_accounts(
        session, links, await accounts_changed(session, principal.app_id, link_ids, start, end)
    )
    rows, total = await transaction_reader.changed_between(
        session, principal.app_id, link_ids, start, end, limit=MAX_TRANSACTIONS
    )
    transactions = await _transactions(session, principal.app_id, link_ids, rows)
    body = {"user": {"loginName": login_name(user, field)}, "totalTransactionsCount": total,
            "providerAccount": provider_accounts, "account": accounts, "transaction": transactions,
            "holding": []}  # fmt: skip
    return json_response({"userData": [body]})


async def _transactions(
    session: DbSession, app_id: Any, link_ids: list[Any], rows: list[Any]
) -> list[dict[str, Any]]:
    if not rows:
        return []
    accounts = await product_reader.accounts_of_links(session, app_id, link_ids)
    account_ids = await numbers_of(session, app_id, IdKind.account, [a.id for a in accounts])
    containers = {a.id: render.container(a.type, a.subtype) for a in accounts}
    rendered = []
    for row in rows:
        body = render.transaction(row, transaction_id=row.number, account_id=account_ids[row.account_id],
                                  container_name=containers[row.account_id])  # fmt: skip
        if row.change_kind == "removed":
            body["isDeleted"] = True
        rendered.append(body)
    return rendered
