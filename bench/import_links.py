"""The benches' baseline link: an imported link (MoneyKit's `/links/import` path) with checking accounts
of the given ids and no transactions yet, in its own unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from gateway.db import Database
from gateway.end_users.service import get_or_create_end_user
from gateway.links.imports import ImportedAccount, import_institution, import_link
from gateway.models.link import Link


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
