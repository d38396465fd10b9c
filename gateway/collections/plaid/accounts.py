"""Plaid account reads: `/accounts/get`, `/accounts/balance/get`, `/auth/get` and `/identity/get`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.collections.plaid.auth import READER, item_link
from gateway.collections.plaid.item_data import item_accounts, require_ready
from gateway.collections.plaid.items import rendered_item
from gateway.collections.plaid.requests import AccountsRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.products.repository import product_details
from providers.plaid import render

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])


async def _accounts_response(body: AccountsRequest, request: Request, session: DbSession) -> Response:
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "accounts")
    accounts = await item_accounts(session, link, body.options.account_ids if body.options else None)
    return plaid_response({"accounts": [render.account(a) for a in accounts], "item": rendered_item(link)})


@router.post("/accounts/get", openapi_extra=READER.openapi)
async def accounts_get(body: AccountsRequest, request: Request, session: DbSession) -> Response:
    """The Item's accounts with the balances of the last refresh."""
    return await _accounts_response(body, request, session)


@router.post("/accounts/balance/get", openapi_extra=READER.openapi)
async def accounts_balance_get(body: AccountsRequest, request: Request, session: DbSession) -> Response:
    """Balances as of the last refresh (refreshed on the schedule and with `/transactions/refresh`)."""
    return await _accounts_response(body, request, session)


@router.post("/auth/get", openapi_extra=READER.openapi)
async def auth_get(body: AccountsRequest, request: Request, session: DbSession) -> Response:
    """Account and routing numbers (`numbers.ach`, and `eft`, `international`, `bacs` where they exist)."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "account_numbers")
    accounts = await item_accounts(session, link, body.options.account_ids if body.options else None)
    numbers = await product_details.numbers(session, link.app_id, [a.id for a in accounts])
    return plaid_response({
        "accounts": [render.account(a) for a in accounts],
        "numbers": render.numbers(numbers),
        "item": rendered_item(link),
    })  # fmt: skip


@router.post("/identity/get", openapi_extra=READER.openapi)
async def identity_get(body: AccountsRequest, request: Request, session: DbSession) -> Response:
    """Each account with its owners' names, emails, phone numbers and addresses."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "identity")
    accounts = await item_accounts(session, link, body.options.account_ids if body.options else None)
    owners = await product_details.owners(session, link.app_id, [a.id for a in accounts])
    by_account: dict[object, list[dict[str, object]]] = {}
    for owner in owners:
        by_account.setdefault(owner.account_id, []).append(render.owner(owner))
    rendered = [render.account(a) | {"owners": by_account.get(a.id, [])} for a in accounts]
    return plaid_response({"accounts": rendered, "item": rendered_item(link)})
