"""MoneyKit `POST /links/import` and `POST /links/{id}/import/transactions` (at most 1 MiB each)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from gateway.collections.moneykit.access import accessible_link
from gateway.collections.moneykit.errors import LinkForbiddenAction
from gateway.collections.moneykit.links import LINK_WRITER, CustomerUser, json_response, rendered_link
from gateway.collections.moneykit.routing import MoneyKitRoute
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart, StorableInput
from gateway.end_users.service import get_or_create_end_user
from gateway.errors import InvalidRequest, PayloadTooLarge
from gateway.institutions.catalog import IMPORTED_PROVIDER
from gateway.links.imports import (
    ImportedAccount,
    ImportedTransaction,
    import_institution,
    import_link,
    import_transactions,
)
from gateway.products.repository import product_repository

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])

MAX_IMPORT_BYTES = 1024 * 1024
AMOUNT_PATTERN = r"^[+-]?\d{1,15}(\.\d{1,4})?$"


class ImportInvalid(InvalidRequest):
    """400 (not 422): the import is well-formed but inconsistent, e.g. a transaction's unknown account."""

    code = "api_error.request.validation_failed"


class ImportBalances(BodyPart):
    currency: str = Field(default="USD", min_length=3, max_length=3)
    available: Decimal | None = Field(default=None, max_digits=19, decimal_places=4)
    current: Decimal | None = Field(default=None, max_digits=19, decimal_places=4)
    limit: Decimal | None = Field(default=None, max_digits=19, decimal_places=4)
    balance_date: dt.datetime | dt.date | None = None


class ImportAccount(BodyPart):
    account_id: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=255)
    nickname: str | None = Field(default=None, max_length=255)
    type: str = Field(min_length=1, max_length=64)
    mask: str | None = Field(default=None, max_length=32)
    balances: ImportBalances


class ImportTransaction(BodyPart):
    account_id: str = Field(min_length=1, max_length=255)
    transaction_id: str | None = Field(default=None, min_length=1, max_length=255)
    amount: str = Field(pattern=AMOUNT_PATTERN, description="Signed: positive is a credit, negative a debit.")
    date: dt.datetime | dt.date
    description: str | None = Field(default=None, max_length=500)
    type: str | None = Field(default=None, max_length=100)


class ImportLinkRequest(StorableInput):
    customer_user: CustomerUser
    provider: Literal["moneykit", "finicity", "plaid", "yodlee", "mx", "akoya"] | None = None
    institution_id: str = Field(min_length=1, max_length=64)
    accounts: list[ImportAccount] = Field(min_length=1, max_length=1000)
    transactions: list[ImportTransaction] = Field(max_length=20000)


class ImportTransactionsRequest(StorableInput):
    transactions: list[ImportTransaction] = Field(min_length=1, max_length=20000)


async def _within_limit(request: Request) -> None:
    if len(await request.body()) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            f"Imports are limited to {MAX_IMPORT_BYTES} bytes; send transactions in batches."
        )


def _accounts(body: ImportLinkRequest) -> list[ImportedAccount]:
    seen: set[str] = set()
    accounts = []
    for index, account in enumerate(body.accounts):
        if account.account_id in seen:
            raise _invalid(f"accounts.{index}.account_id", f"account_id {account.account_id!r} appears twice")
        seen.add(account.account_id)
        balances = account.balances
        as_of = balances.balance_date
        accounts.append(
            ImportedAccount(
                account_id=account.account_id,
                name=account.nickname or account.name,
                type=account.type,
                mask=account.mask,
                currency=balances.currency.upper(),
                available=balances.available,
                current=balances.current,
                limit=balances.limit,
                balance_date=as_of
                if isinstance(as_of, dt.datetime) or as_of is None
                else dt.datetime.combine(as_of, dt.time(), tzinfo=dt.UTC),
            )  # fmt: skip
        )
    return accounts


def _transactions(items: list[ImportTransaction], account_ids: set[str]) -> list[ImportedTransaction]:
    transactions = []
    for index, item in enumerate(items):
        if item.account_id not in account_ids:
            raise _invalid(
                f"transactions.{index}.account_id",
                f"account_id {item.account_id!r} is not an imported account",
            )
        stamp = item.date if isinstance(item.date, dt.datetime) else None
        if stamp is not None and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        transactions.append(
            ImportedTransaction(
                account_id=item.account_id,
                transaction_id=item.transaction_id,
                amount=Decimal(item.amount),
                date=stamp.date() if stamp else item.date,
                datetime=stamp,
                description=item.description or "Imported transaction",
                category=item.type,
            )  # fmt: skip
        )
    return transactions


def _invalid(field: str, message: str) -> ImportInvalid:
    return ImportInvalid(
        message[0].upper() + message[1:] + ".",
        details=[{"location": "body", "field": field, "message": message}],
    )


@router.post("/links/import", openapi_extra=LINK_WRITER.openapi)
async def import_link_route(body: ImportLinkRequest, request: Request, session: DbSession) -> Response:
    """Create a readable link from data the app already holds (state `error`, `auth_expired`)."""
    principal = await LINK_WRITER(request)
    await _within_limit(request)
    accounts = _accounts(body)
    transactions = _transactions(body.transactions, {a.account_id for a in accounts})
    user = await get_or_create_end_user(session, principal.app_id, body.customer_user.id)
    institution = await import_institution(session, body.institution_id)
    link = await import_link(
        session, app_id=principal.app_id, end_user_id=user.id, institution=institution,
        accounts=accounts, transactions=transactions,
    )  # fmt: skip
    return json_response(await rendered_link(session, link))


@router.post("/links/{link_id}/import/transactions", openapi_extra=LINK_WRITER.openapi)
async def import_transactions_route(
    link_id: str, body: ImportTransactionsRequest, request: Request, session: DbSession
) -> Response:
    """Add a batch of transactions to an imported link."""
    principal = await LINK_WRITER(request)
    await _within_limit(request)
    link = await accessible_link(session, principal, link_id)
    if link.provider != IMPORTED_PROVIDER:
        raise LinkForbiddenAction("Only imported links take imported transactions.")
    known = set(await product_repository.account_ids(session, link.app_id, link.id))
    await import_transactions(session, link, _transactions(body.transactions, known))
    return json_response(await rendered_link(session, link))
