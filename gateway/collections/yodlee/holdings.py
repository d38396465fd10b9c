"""`GET /holdings` (filters: accountId, providerAccountId): investment holdings of the user's accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from formats.yodlee import render
from gateway.collections.yodlee.access import USER_READER, json_response
from gateway.collections.yodlee.ids import parse_ids
from gateway.collections.yodlee.repository import holdings_of
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.scope import chosen_accounts, links_by_ids, provider_account_ids
from gateway.dependencies import DbSession
from gateway.integer_ids.repository import IdKind, holding_key, numbers_of
from gateway.products.repository import product_reader

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])


@router.get("/holdings", openapi_extra=USER_READER.openapi)
async def get_holdings(
    request: Request,
    session: DbSession,
    account_id: Annotated[str | None, Query(alias="accountId", max_length=2000)] = None,
    provider_account_id: Annotated[str | None, Query(alias="providerAccountId", max_length=2000)] = None,
    include: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Holdings of investment accounts whose provider account granted investments."""
    principal = await USER_READER(request)
    links = await links_by_ids(session, principal, parse_ids(provider_account_id, "providerAccountId"))
    links = [link for link in links if "investments" in link.products]
    accounts = await product_reader.accounts_of_links(session, principal.app_id, [link.id for link in links])
    numbers = parse_ids(account_id, "accountId")
    chosen = None if numbers is None else [a.id for a in await chosen_accounts(session, accounts, numbers)]
    rows = await holdings_of(session, principal.app_id, [link.id for link in links], chosen)
    account_ids = await numbers_of(session, principal.app_id, IdKind.account, [a.id for a in accounts])
    link_ids = await provider_account_ids(session, links)
    keys = {h.id: holding_key(h.account_id, h.security_id) for h, _ in rows}
    ids = await numbers_of(session, principal.app_id, IdKind.holding, list(keys.values()))
    rendered = [
        render.holding(
            h,
            s,
            holding_id=ids[keys[h.id]],
            account_id=account_ids[h.account_id],
            provider_account_id=link_ids[h.link_id],
        )  # fmt: skip
        for h, s in rows
    ]
    return json_response({"holding": rendered})
