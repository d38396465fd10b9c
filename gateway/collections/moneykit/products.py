"""MoneyKit product routes: accounts, transactions, and transactions/sync over the per-link change log.

Reads serve what refreshes stored; they never call a provider.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from formats.moneykit import render
from gateway.collections.moneykit.access import accessible_link, product_link, require_product
from gateway.collections.moneykit.errors import LinkBadState, LinkNotFound, link_bad_input
from gateway.collections.moneykit.links import (
    LINK_READER,
    LINK_WRITER,
    MoneyKitProduct,
    json_response,
    rendered_link,
)
from gateway.collections.moneykit.params import (
    AccountIds,
    PageNumber,
    PageSize,
    date_window,
    invalid_cursor,
)
from gateway.collections.moneykit.routing import MoneyKitRoute, answers_bad_input_with
from gateway.dependencies import DbSession, ReadSession
from gateway.developers.schemas import StorableInput
from gateway.links.service import link_service
from gateway.products.repository import product_reader
from gateway.state import get_app_state
from gateway.transactions.records import TransactionChange
from gateway.transactions.repository import transaction_reader, transaction_repository
from gateway.upstreams.request_scope import refresh_budget

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])

CURSOR_PREFIX = "lgs1:"


@router.get("/links/{link_id}/accounts", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_accounts(
    link_id: str, request: Request, session: DbSession, account_ids: AccountIds = None
) -> Response:
    """The link's accounts with the balances of the last refresh."""
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "accounts")
    accounts = await product_reader.accounts(session, link.app_id, link.id, account_ids or ())
    return json_response(
        {"accounts": [render.account(a) for a in accounts], "link": await rendered_link(session, link)}
    )


@router.get("/links/{link_id}/accounts/{account_id}", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_account(link_id: str, account_id: str, request: Request, session: DbSession) -> Response:
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "accounts")
    accounts = await product_reader.accounts(session, link.app_id, link.id, [account_id])
    if not accounts:
        raise LinkNotFound("Account not found.")
    return json_response({"account": render.account(accounts[0]), "link": await rendered_link(session, link)})


@router.get("/links/{link_id}/transactions", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_transactions(
    link_id: str,
    request: Request,
    session: ReadSession,
    account_ids: AccountIds = None,
    page: PageNumber = 1,
    size: PageSize = 50,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Response:
    """Transactions between `start_date` (default 90 days before `end_date`) and `end_date` (default today),
    newest first."""
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "transactions")
    start, end = date_window(start_date, end_date)
    accounts = await product_reader.accounts(session, link.app_id, link.id, account_ids or ())
    rows, total = await transaction_reader.page(
        session, link.app_id, [link.id], account_ids=[a.id for a in accounts] if account_ids else None,
        start=start, end=end, offset=(page - 1) * size, limit=size,
    )  # fmt: skip
    return json_response(
        {
            "total": total,
            "page": page,
            "size": size,
            "transactions": [render.transaction(row) for row in rows],
            "accounts": [render.account(a) for a in accounts],
            "link": await rendered_link(session, link),
        }  # fmt: skip
    )


@router.get("/links/{link_id}/transactions/sync", openapi_extra=LINK_READER.openapi)
@answers_bad_input_with(link_bad_input)
async def get_transactions_sync(
    link_id: str,
    request: Request,
    session: ReadSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Changes after `cursor` (all history without one): `created`, `updated` (a pending transaction that
    posts keeps its id), `removed` ids; keep calling with `cursor.next` while `has_more`."""
    principal = await LINK_READER(request)
    link = await product_link(session, principal, link_id, "transactions")
    at = decode_sync_cursor(cursor)
    changes = await transaction_repository.changes_since(
        session, link.app_id, link.id, at.position, limit=size + 1
    )
    has_more = len(changes) > size
    changes = changes[:size]
    accounts = await product_reader.accounts(session, link.app_id, link.id)
    last = changes[-1].change_seq if changes else at.position
    return json_response(
        {
            "transactions": _sync_groups(changes, at),
            "accounts": [render.account(a) for a in accounts],
            "cursor": {"next": encode_sync_cursor(last, at.known if has_more else None)},
            "has_more": has_more,
            "link": await rendered_link(session, link),
        }
    )


class SyncCursor(NamedTuple):
    """Where a reader is in the change log, and what it had when its pull began (`known`)."""

    position: int
    known: int


def _sync_groups(changes: list[TransactionChange], at: SyncCursor) -> dict[str, list[Any]]:
    """A row created after the pull began is `created`, even if it changed again before the pull reached
    it: the reader never had it (one it had from an earlier page and that changed since comes `created`
    again, so a reader upserts what is `created`). A removed row is reported if the reader may have had it:
    created by its position, whether before the pull or on a page it read."""
    created, updated, removed = [], [], []
    for change in changes:
        if change.change_kind == "removed":
            if change.created_seq <= at.position:
                removed.append(str(change.record.id))
        elif change.created_seq > at.known:
            created.append(render.transaction(change.record))
        else:
            updated.append(render.transaction(change.record))
    return {"created": created, "updated": updated, "removed": removed}


def encode_sync_cursor(position: int, known: int | None) -> str:
    """A cursor at `position`; mid-pull, with where the pull began."""
    text = f"{CURSOR_PREFIX}{position}" + (f":{known}" if known is not None else "")
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_sync_cursor(cursor: str | None) -> SyncCursor:
    if not cursor:
        return SyncCursor(0, 0)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(CURSOR_PREFIX):
            raise ValueError(text)
        parts = [int(part) for part in text.removeprefix(CURSOR_PREFIX).split(":")]
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid_cursor() from exc
    if len(parts) > 2 or any(part < 0 for part in parts) or (len(parts) == 2 and parts[1] > parts[0]):
        raise invalid_cursor()
    return SyncCursor(parts[0], parts[-1])


class RefreshProductsRequest(StorableInput):
    products: list[MoneyKitProduct] = Field(min_length=1, max_length=5)


@router.post("/links/{link_id}/products", status_code=202, openapi_extra=LINK_WRITER.openapi)
@answers_bad_input_with(link_bad_input)
async def refresh_products(
    link_id: str, body: RefreshProductsRequest, request: Request, session: DbSession
) -> Response:
    """Fetch fresh data for granted products on a worker; `link.products.<p>.refreshed_at` moves when done."""
    principal = await LINK_WRITER(request)
    link = await accessible_link(session, principal, link_id)
    for product in body.products:
        require_product(link, product)
    if link.state != "connected":
        raise LinkBadState(
            f"The link is {link.state}; reconnect it first.", link_error_code=link.error_code or link.state
        )
    settings = get_app_state(request).settings
    per_day = (
        settings.sandbox_refreshes_per_day
        if principal.app_mode == "sandbox"
        else settings.live_refreshes_per_day
    )
    await link_service.request_manual_refresh(
        session,
        link,
        list(dict.fromkeys(body.products)),
        per_day=per_day,
        budget=refresh_budget(request, link),
    )
    return json_response(await rendered_link(session, link), status_code=202)
