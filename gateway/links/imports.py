"""Importing a link: accounts and transactions the app already holds, stored as a readable link.

The link starts in `error` with `auth_expired` (MoneyKit's seed says "disconnected", which is not a
MoneyKit state) so the end user can reconnect it later. Everything is validated before anything is
written, and written in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.institutions.catalog import IMPORTED_PROVIDER
from gateway.links.repository import store_link
from gateway.models.base import utcnow
from gateway.models.institution import Institution
from gateway.models.link import Link
from gateway.products.repository import product_repository
from gateway.transactions.repository import ChangeCounts, transaction_repository
from gateway.webhooks.events import publish_event
from providers.base import NormalizedAccount, NormalizedTransaction

IMPORT_PRODUCTS = ["accounts", "transactions"]


@dataclass(frozen=True)
class ImportedAccount:
    account_id: str
    name: str
    type: str
    mask: str | None
    currency: str
    available: Decimal | None
    current: Decimal | None
    limit: Decimal | None
    balance_date: dt.datetime | None


@dataclass(frozen=True)
class ImportedTransaction:
    account_id: str
    transaction_id: str | None
    amount: Decimal  # signed: + credit, − debit
    date: dt.date
    datetime: dt.datetime | None
    description: str
    category: str | None


def _account_kind(declared: str) -> tuple[str, str]:
    kind, _, subtype = declared.partition(".")
    known = {"depository", "investment", "liability", "other"}
    return (kind, subtype or kind) if kind in known else ("other", declared)


def _normalized_accounts(accounts: Sequence[ImportedAccount]) -> list[NormalizedAccount]:
    now = utcnow()
    return [
        NormalizedAccount(
            provider_account_id=a.account_id,
            name=a.name,
            type=_account_kind(a.type)[0],  # type: ignore[arg-type]
            subtype=_account_kind(a.type)[1],
            mask=(a.mask or "")[-4:],
            currency=a.currency,
            balance_current=a.current,
            balance_available=a.available,
            balance_limit=a.limit,
            balances_as_of=a.balance_date or now,
        )  # fmt: skip
        for a in accounts
    ]


def _normalized_transactions(transactions: Sequence[ImportedTransaction]) -> list[NormalizedTransaction]:
    return [
        NormalizedTransaction(
            provider_transaction_id=t.transaction_id or f"import-{uuid.uuid4()}",
            provider_account_id=t.account_id,
            amount=abs(t.amount),
            direction="credit" if t.amount > 0 else "debit",
            currency="USD",
            date=t.date,
            datetime=t.datetime,
            description=t.description,
            pending=False,
            categories=(t.category,) if t.category else (),
        )  # fmt: skip
        for t in transactions
    ]


async def import_institution(session: AsyncSession, institution_id: str) -> Institution:
    """The catalogue's institution, or a placeholder named only from its id (never listed)."""
    institution = await session.get(Institution, institution_id)
    if institution is None:
        name = institution_id.rsplit(".", 1)[-1].replace("_", " ").title()
        institution = Institution(
            id=institution_id, provider=IMPORTED_PROVIDER, provider_institution_id=institution_id, name=name,
            products=IMPORT_PRODUCTS, is_offered=False,
        )  # fmt: skip
        session.add(institution)
        await session.flush()
    return institution


async def import_link(
    session: AsyncSession,
    *,
    app_id: uuid.UUID,
    end_user_id: uuid.UUID,
    institution: Institution,
    accounts: Sequence[ImportedAccount],
    transactions: Sequence[ImportedTransaction],
) -> Link:
    now = utcnow()
    link = Link(
        id=uuid.uuid4(), app_id=app_id, end_user_id=end_user_id, institution_id=institution.id,
        provider=IMPORTED_PROVIDER, state="error", error_code="auth_expired", products=IMPORT_PRODUCTS,
        last_synced_at=now,
        product_status={p: {"refreshed_at": now.isoformat(), "last_attempted_at": now.isoformat()}
                        for p in IMPORT_PRODUCTS},
    )  # fmt: skip
    await store_link(session, link)
    await product_repository.upsert_accounts(session, app_id, link.id, _normalized_accounts(accounts))
    await import_transactions(session, link, transactions)
    await publish_event(
        session, app_id=app_id, link=link, event_type="link.state_changed",
        payload={"state": "error", "error": "auth_expired"},
    )  # fmt: skip
    return link


async def import_transactions(
    session: AsyncSession, link: Link, transactions: Sequence[ImportedTransaction]
) -> ChangeCounts:
    ids = await product_repository.account_ids(session, link.app_id, link.id)
    counts = await transaction_repository.apply(
        session, app_id=link.app_id, link_id=link.id, account_ids=ids,
        upserted=_normalized_transactions(transactions),
    )  # fmt: skip
    if counts.total:
        await publish_event(
            session, app_id=link.app_id, link=link, event_type="transactions.updates_available",
            payload={"created": counts.created, "updated": counts.updated, "removed": counts.removed},
        )  # fmt: skip
    return counts
