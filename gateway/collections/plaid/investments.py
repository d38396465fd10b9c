"""Plaid investments: `/investments/holdings/get` and `/investments/transactions/get`."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field, model_validator

from formats.plaid import render
from gateway.collections.plaid.auth import READER, item_link
from gateway.collections.plaid.item_data import item_accounts, require_ready
from gateway.collections.plaid.items import rendered_item
from gateway.collections.plaid.requests import AccountIds, AccountsRequest, ItemRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart
from gateway.models.account import Account
from gateway.products.repository import product_details

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])


class InvestmentTransactionsOptions(BodyPart):
    model_config = ConfigDict(extra="ignore")

    account_ids: AccountIds | None = None
    count: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class InvestmentTransactionsGetRequest(ItemRequest):
    start_date: dt.date
    end_date: dt.date
    options: InvestmentTransactionsOptions | None = None

    @model_validator(mode="after")
    def _ordered_window(self) -> InvestmentTransactionsGetRequest:
        if self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


def _investment_accounts(accounts: list[Account]) -> list[Account]:
    return [account for account in accounts if account.type == "investment"]


async def _securities(session: DbSession, app_id: uuid.UUID, ids: set[uuid.UUID]) -> list[dict[str, object]]:
    return [render.security(row) for row in await product_details.securities(session, app_id, list(ids))]


@router.post("/investments/holdings/get", openapi_extra=READER.openapi)
async def investments_holdings_get(body: AccountsRequest, request: Request, session: DbSession) -> Response:
    """Holdings of the Item's investment accounts, with their securities."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "investments")
    accounts = _investment_accounts(
        await item_accounts(session, link, body.options.account_ids if body.options else None)
    )
    holdings = await product_details.holdings(session, link.app_id, link.id, [a.id for a in accounts])
    return plaid_response({
        "accounts": [render.account(a, investment=True) for a in accounts],
        "holdings": [render.holding(row) for row in holdings],
        "securities": await _securities(session, link.app_id, {row.security_id for row in holdings}),
        "item": rendered_item(link),
        "is_investments_fallback_item": False,
    })  # fmt: skip


@router.post("/investments/transactions/get", openapi_extra=READER.openapi)
async def investments_transactions_get(
    body: InvestmentTransactionsGetRequest, request: Request, session: DbSession
) -> Response:
    """Investment transactions between two dates, newest first, `count` from `offset`."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "investments")
    options = body.options or InvestmentTransactionsOptions()
    accounts = _investment_accounts(await item_accounts(session, link, options.account_ids))
    rows, total = await product_details.investment_transactions(
        session, link.app_id, link.id, [a.id for a in accounts], start=body.start_date, end=body.end_date,
        offset=options.offset, limit=options.count,
    )  # fmt: skip
    security_ids = {row.security_id for row in rows if row.security_id is not None}
    return plaid_response({
        "accounts": [render.account(a, investment=True) for a in accounts],
        "investment_transactions": [render.investment_transaction(row) for row in rows],
        "securities": await _securities(session, link.app_id, security_ids),
        "total_investment_transactions": total,
        "item": rendered_item(link),
        "is_investments_fallback_item": False,
    })  # fmt: skip
