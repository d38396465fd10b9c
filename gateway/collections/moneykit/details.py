"""MoneyKit routes for account numbers, identity and investments of a link."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from formats.moneykit import render
from gateway.collections.moneykit.access import product_link
from gateway.collections.moneykit.errors import link_bad_input
from gateway.collections.moneykit.links import LINK_READER, json_response, rendered_link
from gateway.collections.moneykit.params import AccountIds, PageNumber, PageSize, date_window
from gateway.collections.moneykit.routing import MoneyKitRoute, answers_bad_input_with
from gateway.dependencies import DbSession
from gateway.products.repository import product_details, product_reader

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])


@router.get("/links/{link_id}/accounts/numbers", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_account_numbers(link_id: str, request: Request, session: DbSession) -> Response:
    """ACH, EFT, BACS and international numbers of the link's accounts."""
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "account_numbers")
    accounts = await product_reader.accounts(session, link.app_id, link.id)
    numbers = await product_details.numbers(session, link.app_id, [a.id for a in accounts])
    rendered = [
        render.account_with_numbers(a, [n for n in numbers if n.account_id == a.id]) for a in accounts
    ]
    return json_response({"accounts": rendered, "link": await rendered_link(session, link)})


@router.get("/links/{link_id}/identity", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_identities(
    link_id: str, request: Request, session: DbSession, account_ids: AccountIds = None
) -> Response:
    """The owners of each of the link's accounts."""
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "identity")
    accounts = await product_reader.accounts(session, link.app_id, link.id, account_ids or ())
    owners = await product_details.owners(session, link.app_id, [a.id for a in accounts])
    rendered = [
        {**render.account(a), "owners": [render.owner(o) for o in owners if o.account_id == a.id]}
        for a in accounts
    ]
    return json_response({"accounts": rendered, "link": await rendered_link(session, link)})


@router.get("/links/{link_id}/investments/holdings", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_holdings(
    link_id: str, request: Request, session: DbSession, account_ids: AccountIds = None
) -> Response:
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "investments")
    accounts = await product_reader.accounts(session, link.app_id, link.id, account_ids or ())
    holdings = await product_details.holdings(session, link.app_id, link.id, [a.id for a in accounts])
    securities = await product_details.securities(
        session, link.app_id, list({h.security_id for h in holdings})
    )
    return json_response(
        {
            "holdings": [render.holding(h) for h in holdings],
            "securities": [render.security(s) for s in securities],
            "accounts": [render.account(a) for a in accounts if a.type == "investment"],
            "link": await rendered_link(session, link),
        }
    )


@router.get("/links/{link_id}/investments/transactions", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_investment_transactions(
    link_id: str,
    request: Request,
    session: DbSession,
    account_ids: AccountIds = None,
    page: PageNumber = 1,
    size: PageSize = 50,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Response:
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "investments")
    start, end = date_window(start_date, end_date)
    accounts = await product_reader.accounts(session, link.app_id, link.id, account_ids or ())
    rows, total = await product_details.investment_transactions(
        session, link.app_id, link.id, [a.id for a in accounts], start=start, end=end,
        offset=(page - 1) * size, limit=size,
    )  # fmt: skip
    security_ids = list({row.security_id for row in rows if row.security_id is not None})
    securities = await product_details.securities(session, link.app_id, security_ids)
    return json_response(
        {
            "total": total,
            "page": page,
            "size": size,
            "investment_transactions": [render.investment_transaction(row) for row in rows],
            "securities": [render.security(s) for s in securities],
            "accounts": [render.account(a) for a in accounts if a.type == "investment"],
            "link": await rendered_link(session, link),
        }  # fmt: skip
    )
