"""`GET /accounts/latestBalances` and `GET /accounts/historicalBalances`.

Latest balances are the balances the provider account's last refresh stored (its `refreshStatus` says
whether a refresh is running); the history is the balance snapshot each refresh keeps per account and
day (`account_balances`). Both modules' routes come before `/accounts/{accountId}` (see router.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from formats.yodlee import render
from gateway.collections.yodlee.access import USER_READER, json_response
from gateway.collections.yodlee.accounts import rendered_accounts
from gateway.collections.yodlee.errors import YodleeError, invalid_value, required
from gateway.collections.yodlee.ids import parse_id, parse_ids
from gateway.collections.yodlee.params import bounded, day
from gateway.collections.yodlee.repository import balance_history, refreshing
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.scope import chosen_accounts, links_by_ids
from gateway.dependencies import DbSession
from gateway.integer_ids.repository import IdKind, numbers_of
from gateway.products.repository import product_reader

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])

MAX_LATEST = 10
LATEST_CONTAINERS = ("bank", "investment")
LATEST_FIELDS = ("accountName", "accountNumber", "accountType", "CONTAINER", "providerAccountId",
                 "providerId", "providerName", "balance", "currentBalance", "availableBalance",
                 "lastUpdated")  # fmt: skip
HISTORY_WINDOW = dt.timedelta(days=90)
MAX_TOP = 500
IdsParam = Annotated[str | None, Query(max_length=2000)]
DateParam = Annotated[str | None, Query(max_length=32)]


@router.get("/accounts/latestBalances", openapi_extra=USER_READER.openapi)
async def get_latest_balances(
    request: Request,
    session: DbSession,
    account_id: Annotated[IdsParam, Query(alias="accountId")] = None,
    provider_account_id: Annotated[IdsParam, Query(alias="providerAccountId")] = None,
) -> Response:
    """Balances of up to 10 bank or investment accounts of one provider account."""
    principal = await USER_READER(request)
    if not provider_account_id:
        raise required("providerAccountId")
    if "," in provider_account_id:
        raise YodleeError("Y805", "Multiple providerAccountId not supported")
    links = await links_by_ids(session, principal, [parse_id(provider_account_id, "providerAccountId")])
    numbers = parse_ids(account_id or None, "accountId")
    if not numbers:
        raise required("accountId")
    if len(numbers) > MAX_LATEST:
        raise YodleeError("Y824", f"The maximum number of accountIds permitted is {MAX_LATEST}")
    chosen = await chosen_accounts(
        session, await product_reader.accounts_of_links(session, principal.app_id, [links[0].id]), numbers
    )
    rendered = await rendered_accounts(session, links, chosen)
    if any(account["CONTAINER"] not in LATEST_CONTAINERS for account in rendered):
        raise YodleeError("Y820", "The accountId is not supported for container other than bank, investment")
    link = links[0]
    busy = link.id in await refreshing(session, principal.app_id, [link.id])
    status = render.provider_account_status(link.state, busy)
    balances = [
        {"accountId": account["id"], **{key: account[key] for key in LATEST_FIELDS if key in account},
         "refreshStatus": {"SUCCESS": "SUCCESS", "IN_PROGRESS": "IN_PROGRESS"}.get(status, "FAILED")}
        for account in rendered
    ]  # fmt: skip
    return json_response({"accountBalance": balances})


@router.get("/accounts/historicalBalances", openapi_extra=USER_READER.openapi)
async def get_historical_balances(
    request: Request,
    session: DbSession,
    account_id: Annotated[IdsParam, Query(alias="accountId")] = None,
    from_date: Annotated[DateParam, Query(alias="fromDate")] = None,
    to_date: Annotated[DateParam, Query(alias="toDate")] = None,
    interval: Annotated[str | None, Query(max_length=8)] = None,
    include_cf: Annotated[str | None, Query(alias="includeCF", max_length=8)] = None,
    skip: Annotated[str | None, Query(max_length=12)] = None,
    top: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """Daily (D), weekly (W) or monthly (M) balances of the user's accounts (or the one named), newest
    first, the last 90 days by default; `includeCF=true` carries the last known balance forward.
    `skip`/`top` (≤ 500, default 500) page through the balances of all accounts together."""
    principal = await USER_READER(request)
    offset = bounded(skip, "skip", 0, 2**31 - 1, default=0)
    limit = bounded(top, "top", 1, MAX_TOP, default=MAX_TOP)
    if interval is not None and interval not in render.BALANCE_INTERVALS:
        raise invalid_value("interval")
    if include_cf is not None and include_cf.lower() not in ("true", "false"):
        raise invalid_value("includeCF")
    start, end = _window(from_date, to_date)
    links = await links_by_ids(session, principal, None)
    accounts = await product_reader.accounts_of_links(session, principal.app_id, [link.id for link in links])
    numbers = parse_ids(account_id or None, "accountId")
    if numbers is not None:
        accounts = await chosen_accounts(session, accounts, numbers)
    snapshots: dict[Any, list[tuple[dt.date, Any, str]]] = {}
    for row in await balance_history(session, principal.app_id, [a.id for a in accounts], start, end):
        amount = row.current if row.current is not None else row.available
        if amount is not None:
            snapshots.setdefault(row.account_id, []).append((row.day, amount, row.currency))
    if not snapshots:
        return json_response({"account": []})
    # Days before the first snapshot show nothing, carried forward or not: the history starts there.
    first = min(point[0] for points in snapshots.values() for point in points)
    days = render.requested_days(max(start, first), end, interval or "D")
    carry_forward = include_cf is not None and include_cf.lower() == "true"
    ids = await numbers_of(session, principal.app_id, IdKind.account, [a.id for a in accounts])
    entries = [
        (ids[account.id], entry)
        for account in accounts
        for entry in render.historical_balances(
            snapshots.get(account.id, []), days, carry_forward=carry_forward,
            is_asset=render.container(account.type, account.subtype) not in ("creditCard", "loan"),
        )
    ]  # fmt: skip
    grouped: dict[int, list[dict[str, Any]]] = {}
    for number, entry in entries[offset : offset + limit]:
        grouped.setdefault(number, []).append(entry)
    return json_response({"account": [{"id": n, "historicalBalances": b} for n, b in grouped.items()]})


def _window(from_date: str | None, to_date: str | None) -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(dt.UTC).date()
    end = day(to_date, "toDate") or today
    start = day(from_date, "fromDate") or end - HISTORY_WINDOW
    if end > today or start > today:
        raise YodleeError("Y802", "Future date not allowed")
    if start > end:
        raise YodleeError("Y809", "Invalid date range")
    return start, end
