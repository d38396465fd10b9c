"""Plaid account reads: `/accounts/get`, `/accounts/balance/get`, `/auth/get`, `/identity/get` and
`/identity/match`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from formats.plaid import render
from gateway.collections.plaid.auth import READER, item_link
from gateway.collections.plaid.item_data import item_accounts, require_ready
from gateway.collections.plaid.items import rendered_item
from gateway.collections.plaid.requests import AccountsRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart
from gateway.products.identity_match import UserIdentity, identity_match
from gateway.products.repository import product_details

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])


class IdentityMatchAddress(BodyPart):
    model_config = ConfigDict(extra="ignore")

    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)


class IdentityMatchUser(BodyPart):
    model_config = ConfigDict(extra="ignore")

    legal_name: str | None = Field(default=None, max_length=200)
    phone_number: str | None = Field(default=None, max_length=40)
    email_address: str | None = Field(default=None, max_length=320)
    address: IdentityMatchAddress | None = None


class IdentityMatchRequest(AccountsRequest):
    user: IdentityMatchUser | None = None


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


@router.post("/identity/match", openapi_extra=READER.openapi)
async def identity_match_route(body: IdentityMatchRequest, request: Request, session: DbSession) -> Response:
    """How well the user the app knows (name, phone, email, address) matches each account's owners:
    0-100 per field (70 and up a match), null for a field not sent (see gateway.products.identity_match)."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "identity")
    accounts = await item_accounts(session, link, body.options.account_ids if body.options else None)
    owners = await product_details.owners(session, link.app_id, [a.id for a in accounts])
    sent = body.user or IdentityMatchUser()
    user = UserIdentity(legal_name=sent.legal_name, phone_number=sent.phone_number,
                        email_address=sent.email_address,
                        address=sent.address.model_dump() if sent.address else None)  # fmt: skip
    rendered = [
        render.account(a)
        | render.identity_match(identity_match(user, [o for o in owners if o.account_id == a.id]))
        for a in accounts
    ]
    return plaid_response({"accounts": rendered, "item": rendered_item(link)})
