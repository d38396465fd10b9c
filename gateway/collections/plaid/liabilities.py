"""Plaid liabilities: `/liabilities/get`, the Item's credit cards with their APRs and payments."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from formats.plaid import ids, render
from gateway.collections.plaid.auth import READER, item_link
from gateway.collections.plaid.item_data import item_accounts, require_ready
from gateway.collections.plaid.items import rendered_item
from gateway.collections.plaid.requests import AccountsRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.products.liabilities import credit_liabilities, is_credit_card

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])


@router.post("/liabilities/get", openapi_extra=READER.openapi)
async def liabilities_get(body: AccountsRequest, request: Request, session: DbSession) -> Response:
    """The Item's credit cards (or those `options.account_ids` names) with their liabilities: APRs, last
    statement, last payment, minimum payment and next due date. Every Item has its accounts, so every
    Item can be asked (as at Plaid, where this call adds the product); mortgages and student loans
    are never reported (`[]`)."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "accounts")
    accounts = await item_accounts(session, link, body.options.account_ids if body.options else None)
    cards = [account for account in accounts if is_credit_card(account)]
    credit = [
        render.credit_liability(ids.encode(account.id), liability)
        for account, liability in credit_liabilities(link, cards, dt.datetime.now(dt.UTC).date())
    ]
    return plaid_response({
        "accounts": [render.account(a) for a in cards],
        "item": rendered_item(link),
        "liabilities": {"credit": credit, "mortgage": [], "student": []},
    })  # fmt: skip
