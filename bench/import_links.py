"""The benches' baseline link: an imported link (MoneyKit's `/links/import` path) with checking accounts
of the given ids and no transactions yet, in its own unit of work; and provider transactions as that
path takes them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from gateway.db import Database
from gateway.end_users.service import get_or_create_end_user
from gateway.links.imports import ImportedAccount, ImportedTransaction, import_institution, import_link
from gateway.models.link import Link
from providers.base import NormalizedTransaction


async def new_import_link(database: Database, app_id: uuid.UUID, account_ids: Sequence[str]) -> Link:
    accounts = [
        ImportedAccount(
            account_id=a,
            name=a,
            type="depository.checking",
            mask=None,
            currency="USD",
            available=None,
            current=Decimal(100),
            limit=None,
            balance_date=None,
        )  # fmt: skip
        for a in account_ids
    ]
    async with database.unit_of_work() as session:
        user = await get_or_create_end_user(session, app_id, f"bench-{uuid.uuid4().hex[:8]}")
        return await import_link(
            session, app_id=app_id, end_user_id=user.id,
            institution=await import_institution(session, "bench_bank"), accounts=accounts, transactions=[],
        )  # fmt: skip


def as_imported(
    transactions: Sequence[NormalizedTransaction], *, account_prefix: str = ""
) -> list[ImportedTransaction]:
    """The same transactions as an app would import them (signed amounts; accounts named
    `account_prefix` + the provider's account id)."""
    return [
        ImportedTransaction(
            account_id=f"{account_prefix}{t.provider_account_id}",
            transaction_id=t.provider_transaction_id,
            amount=t.amount if t.direction == "credit" else -t.amount,
            date=t.date,
            datetime=None,
            description=t.description,
            category=None,
        )  # fmt: skip
        for t in transactions
    ]
