"""Plaid `/transactions/recurring/get`: the Item's inflow and outflow streams, found in its transactions
by `gateway.transactions.recurring`."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict

from formats.plaid import render
from gateway.collections.plaid.auth import READER, item_link
from gateway.collections.plaid.item_data import item_accounts, require_ready
from gateway.collections.plaid.requests import AccountIds, ItemRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart
from gateway.transactions.recurring import recurring_streams
from gateway.transactions.repository import transaction_reader

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])

LOOKBACK = dt.timedelta(days=2 * 366)  # two years of history, as Plaid looks at
SCAN_LIMIT = 10_000


class RecurringOptions(BodyPart):
    model_config = ConfigDict(extra="ignore")


class TransactionsRecurringGetRequest(ItemRequest):
    account_ids: AccountIds | None = None
    options: RecurringOptions | None = None


@router.post("/transactions/recurring/get", openapi_extra=READER.openapi)
async def transactions_recurring_get(
    body: TransactionsRecurringGetRequest, request: Request, session: DbSession
) -> Response:
    """Recurring streams of the Item's accounts (or those `account_ids` names): money in (inflow) and
    out (outflow) from the same merchant at a regular cadence, with their next expected date."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "transactions")
    accounts = await item_accounts(session, link, body.account_ids)
    today = dt.datetime.now(dt.UTC).date()
    rows, _ = await transaction_reader.page(
        session, link.app_id, [link.id], start=today - LOOKBACK, end=today + dt.timedelta(days=1),
        offset=0, limit=SCAN_LIMIT, account_ids=[a.id for a in accounts],
    )  # fmt: skip
    streams = recurring_streams(rows, today)
    refreshed = (link.product_status.get("transactions") or {}).get("refreshed_at")
    return plaid_response({
        "inflow_streams": [render.recurring_stream(s) for s in streams if s.direction == "credit"],
        "outflow_streams": [render.recurring_stream(s) for s in streams if s.direction == "debit"],
        "updated_datetime": str(refreshed).replace("+00:00", "Z"),
    })  # fmt: skip
