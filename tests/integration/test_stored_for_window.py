"""What a window is reconciled against, read on both dialects: every live pending transaction of the link
and every live one dated in reach of the window, exactly as stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.db import Database
from gateway.developers.service import developer_service
from gateway.end_users.service import get_or_create_end_user
from gateway.links.imports import ImportedAccount, import_institution, import_link
from gateway.migrate import upgrade_to_head
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.transactions.reconcile import StoredTransaction
from gateway.transactions.repository import transaction_repository
from providers.base import NormalizedTransaction
from tests.conftest import create_database, drop_database

SINCE = dt.date(2026, 11, 1)
AT = dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/window.db"
        upgrade_to_head(url)
        yield url
        return
    name = f"linkgate_window_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    upgrade_to_head(url)
    yield url
    drop_database(name)


def spent(provider_id: str, date: dt.date, *, pending: bool = False, account: str = "acc-1"):
    return NormalizedTransaction(
        provider_transaction_id=provider_id, provider_account_id=account, amount=Decimal("12.34"),
        direction="debit", currency="USD", date=date, description=f"Shop {provider_id}", pending=pending,
        datetime=AT, original_description="SHOP", merchant_name="Shop", categories=("food", "coffee"),
        pending_transaction_id="p-0" if provider_id == "recent" else None,
    )  # fmt: skip


async def held_for_window(database_url: str) -> list[StoredTransaction]:
    settings = Settings(database_url=database_url, secret_key="w" * 48)
    database = Database.from_settings(settings)
    accounts = [
        ImportedAccount(
            account_id=a,
            name=a,
            type="depository.checking",
            mask=None,
            currency="USD",
            available=None,
            current=None,
            limit=None,
            balance_date=None,
        )  # fmt: skip
        for a in ("acc-1", "acc-2")
    ]
    try:
        async with database.unit_of_work() as session:
            app = await developer_service.bootstrap(session, email="w@example.com", master_key="w" * 48)
            user = await get_or_create_end_user(session, app.app_id, "window-user")
            institution = await import_institution(session, "window_bank")
            link = await import_link(
                session, app_id=app.app_id, end_user_id=user.id, institution=institution, accounts=accounts,
                transactions=[],
            )  # fmt: skip
            ids = await product_repository.account_ids(session, app.app_id, link.id)
            before = SINCE - dt.timedelta(days=40)
            await transaction_repository.apply(
                session, app_id=app.app_id, link_id=link.id, account_ids=ids,
                upserted=[
                    spent("old-posted", before), spent("old-pending", before, pending=True, account="acc-2"),
                    spent("recent", SINCE), spent("recent-removed", SINCE, pending=True),
                ],
            )  # fmt: skip
            await transaction_repository.apply(
                session, app_id=app.app_id, link_id=link.id, account_ids=ids, upserted=[],
                removed=["recent-removed"],
            )  # fmt: skip
        async with database.unit_of_work() as session:
            held = await transaction_repository.stored_for_window(session, app.app_id, link.id, since=SINCE)
    finally:
        await database.dispose()
    return sorted(held, key=lambda row: row.provider_transaction_id)


def test_pending_ones_of_any_date_and_live_ones_in_reach(database_url: str) -> None:
    held = asyncio.run(held_for_window(database_url))
    assert [row.provider_transaction_id for row in held] == ["old-pending", "recent"]
    assert held[1] == StoredTransaction(
        provider_transaction_id="recent", provider_account_id="acc-1", amount=Decimal("12.34"),
        direction="debit", currency="USD", date=SINCE, description="Shop recent", pending=False, datetime=AT,
        original_description="SHOP", merchant_name="Shop", categories=("food", "coffee"),
        pending_transaction_id="p-0",
    )  # fmt: skip
    assert held[0].provider_account_id == "acc-2"
