"""Plaid transactions: `/transactions/get` (pages, newest first), `/transactions/sync` (the change log)
and `/transactions/refresh`."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field, model_validator

from formats.plaid import render
from gateway.collections.plaid.auth import ITEM_WRITER, READER, item_link
from gateway.collections.plaid.errors import ItemLoginRequired, SyncMutation
from gateway.collections.plaid.item_data import item_accounts, require_ready
from gateway.collections.plaid.items import rendered_item
from gateway.collections.plaid.requests import AccountIds, ItemRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.collections.plaid.sync import (
    SyncPage,
    SyncRead,
    decode_cursor,
    encode_cursor,
    read_sync_page,
    read_sync_page_alone,
)
from gateway.dependencies import DbSession, ReadSession
from gateway.developers.schemas import BodyPart
from gateway.links.service import link_service
from gateway.models.link import Link
from gateway.state import get_app_state
from gateway.transactions.repository import transaction_reader
from gateway.upstreams.request_scope import refresh_budget

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])


class TransactionsGetOptions(BodyPart):
    model_config = ConfigDict(extra="ignore")

    account_ids: AccountIds | None = None
    count: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)
    include_original_description: bool | None = False


class TransactionsGetRequest(ItemRequest):
    start_date: dt.date
    end_date: dt.date
    options: TransactionsGetOptions | None = None

    @model_validator(mode="after")
    def _ordered_window(self) -> TransactionsGetRequest:
        if self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class TransactionsSyncOptions(BodyPart):
    model_config = ConfigDict(extra="ignore")

    include_original_description: bool | None = False
    account_id: str | None = Field(default=None, max_length=64)


class TransactionsSyncRequest(ItemRequest):
    cursor: str | None = Field(default=None, max_length=256)
    count: int = Field(default=100, ge=1, le=500)
    options: TransactionsSyncOptions | None = None


@router.post("/transactions/get", openapi_extra=READER.openapi)
async def transactions_get(body: TransactionsGetRequest, request: Request, session: ReadSession) -> Response:
    """Transactions between two dates, newest first, `count` from `offset`, with `total_transactions`;
    PRODUCT_NOT_READY until the Item's first transactions have arrived."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    require_ready(link, "transactions")
    options = body.options or TransactionsGetOptions()
    accounts = await item_accounts(session, link, options.account_ids)
    rows, total = await transaction_reader.page(
        session, link.app_id, [link.id], start=body.start_date, end=body.end_date, offset=options.offset,
        limit=options.count, account_ids=[a.id for a in accounts] if options.account_ids else None,
    )  # fmt: skip
    original = bool(options.include_original_description)
    return plaid_response({
        "accounts": [render.account(a) for a in accounts],
        "transactions": [render.transaction(row, include_original_description=original) for row in rows],
        "total_transactions": total,
        "item": rendered_item(link),
    })  # fmt: skip


@router.post("/transactions/sync", openapi_extra=READER.openapi)
async def transactions_sync(
    body: TransactionsSyncRequest, request: Request, session: ReadSession
) -> Response:
    """Changes since `cursor` (none: the whole history; `"now"`: only later changes), oldest change first,
    `count` at a time while `has_more`. A posted transaction that was pending is reported as the pending
    one removed and the posted one added. If data changes mid-pagination,
    TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION: start again from the first cursor of that update."""
    principal = await READER(request, body)
    link = await item_link(session, principal, body)
    if link.state == "error":
        raise ItemLoginRequired()
    options = body.options or TransactionsSyncOptions()
    only_account = None
    if options.account_id is not None:
        only_account = (await item_accounts(session, link, [options.account_id]))[0].id
    ready = "transactions" in link.products and bool(
        (link.product_status.get("transactions") or {}).get("refreshed_at")
    )
    original = bool(options.include_original_description)
    if ready:
        page = await _sync_page(request, session, link, body, only_account, original=original)
    else:  # nothing to report yet: the caller's cursor (or "" before any data) comes back unchanged
        page = SyncPage.empty(body.cursor if body.cursor and body.cursor != "now" else "")
    accounts = await item_accounts(session, link, None)
    if only_account is not None:
        accounts = [a for a in accounts if a.id == only_account]
    return plaid_response({
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE" if ready else "NOT_READY",
        "accounts": [render.account(a) for a in accounts],
        "added": page.added,
        "modified": page.modified,
        "removed": page.removed,
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    })  # fmt: skip


async def _sync_page(
    request: Request,
    session: ReadSession,
    link: Link,
    body: TransactionsSyncRequest,
    only_account: uuid.UUID | None,
    *,
    original: bool,
) -> SyncPage:
    if body.cursor == "now":
        return SyncPage.empty(encode_cursor(link.transactions_seq, None), link.transactions_seq)
    cursor = decode_cursor(body.cursor)
    if cursor.chain is None:  # a new pull, of everything after the cursor up to the link's last change
        chain_start, chain_end = cursor.position, link.transactions_seq
    elif link.transactions_seq != cursor.chain[1]:
        raise SyncMutation()
    else:
        chain_start, chain_end = cursor.chain
    read = SyncRead(
        link.app_id, link.id, cursor.position, chain_start, chain_end, body.count, only_account, original
    )
    state = get_app_state(request)
    page: SyncPage = await state.read_ahead.take(read) or await read_sync_page(session, read)
    if page.has_more:  # the client asks for the next page once it has read this one
        following = read._replace(position=page.last)
        state.read_ahead.start(following, partial(read_sync_page_alone, state.database, following))
    return page


@router.post("/transactions/refresh", openapi_extra=ITEM_WRITER.openapi)
async def transactions_refresh(body: ItemRequest, request: Request, session: DbSession) -> Response:
    """Fetch new transactions now; SYNC_UPDATES_AVAILABLE follows when something changed."""
    principal = await ITEM_WRITER(request, body)
    link = await item_link(session, principal, body, for_update=True)
    if link.state == "error":
        raise ItemLoginRequired()
    if "transactions" not in link.products:
        require_ready(link, "transactions")  # PRODUCTS_NOT_SUPPORTED
    per_day = get_app_state(request).settings.refreshes_per_day(principal.app_mode)
    await link_service.request_manual_refresh(
        session, link, ["transactions"], per_day=per_day, budget=refresh_budget(request, link)
    )
    return plaid_response({})
