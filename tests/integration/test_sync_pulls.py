"""Pulling a link's changes page by page, on both dialects.

Plaid `/transactions/sync` reads pages ahead (gateway/transactions/read_ahead.py): the next page of a pull
is read once its cursor is out and handed to the request that asks for it, and that never makes a page
differ from one read on request, nor hides a change made mid-pagination. In Plaid's pulls and MoneyKit's,
a transaction that changed before the pull reached it is new to the reader, not an update."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bench.import_links import new_import_link
from gateway.app import create_app
from gateway.db import Database
from gateway.developers.service import developer_service
from gateway.links.access_tokens import issue_access_token
from gateway.models.link import Link
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.state import AppState
from gateway.transactions.repository import transaction_repository
from providers.base import NormalizedTransaction
from tests.support.asgi import serving

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 20)


def spent(number: int, *, amount: str = "5.00", pending: bool = False) -> NormalizedTransaction:
    return NormalizedTransaction(
        provider_transaction_id=f"t-{number}", provider_account_id="acc-1", amount=Decimal(amount),
        direction="debit", currency="USD", date=DAY - dt.timedelta(number % 9),
        description=f"Shop {number}", pending=pending,
    )  # fmt: skip


@dataclass
class Item:
    app: FastAPI
    http: httpx.AsyncClient
    database: Database
    link: Link
    headers: dict[str, str]
    access_token: str

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.linkgate
        return state

    async def sync(self, cursor: str | None, count: int) -> httpx.Response:
        body: dict[str, Any] = {"access_token": self.access_token, "count": count}
        if cursor is not None:
            body["cursor"] = cursor
        return await self.http.post("/v1/plaid/transactions/sync", json=body, headers=self.headers)

    async def refresh(self, upserted: list[NormalizedTransaction], removed: tuple[str, ...] = ()) -> None:
        async with self.database.unit_of_work() as session:
            ids = await product_repository.account_ids(session, self.link.app_id, self.link.id)
            await transaction_repository.apply(
                session, app_id=self.link.app_id, link_id=self.link.id, account_ids=ids, upserted=upserted,
                removed=removed,
            )  # fmt: skip

    async def moneykit_sync(self, cursor: str | None, size: int = 100) -> dict[str, Any]:
        form = {"grant_type": "client_credentials", "client_id": self.headers["PLAID-CLIENT-ID"],
                "client_secret": self.headers["PLAID-SECRET"]}  # fmt: skip
        token = (await self.http.post("/v1/moneykit/auth/token", data=form)).json()["access_token"]
        answer = await self.http.get(
            f"/v1/moneykit/links/{self.link.id}/transactions/sync",
            params={"size": size} | ({"cursor": cursor} if cursor else {}),
            headers={"authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def moneykit_pull(self, size: int) -> list[dict[str, Any]]:
        """Every page of MoneyKit's `/transactions/sync` from the start of the history."""
        pages = [await self.moneykit_sync(None, size)]
        while pages[-1]["has_more"]:
            pages.append(await self.moneykit_sync(pages[-1]["cursor"]["next"], size))
        return pages

    async def settled(self, timeout_s: float = 10.0) -> None:
        """Wait until whatever is being read ahead has been read."""
        deadline = time.monotonic() + timeout_s
        while self.state.read_ahead.running:
            assert time.monotonic() < deadline, "the page read ahead was not read in time"
            await asyncio.sleep(0.01)


@pytest.fixture
async def item(database_url: str, settings: Settings) -> AsyncIterator[Item]:
    """A Plaid Item of one account holding 12 transactions, served in-process with read-ahead on."""
    gateway_settings = settings.model_copy(update={"database_url": database_url, "read_ahead_pages": 16})
    database = Database.from_settings(gateway_settings)
    async with database.unit_of_work() as session:
        credentials = await developer_service.bootstrap(
            session, email="r@example.com", master_key=gateway_settings.master_key()
        )
    link = await new_import_link(database, credentials.app_id, ["acc-1"])
    async with database.unit_of_work() as session:
        link = await session.merge(link)
        link.state, link.products = "connected", ["accounts", "transactions"]
        done = {"refreshed_at": dt.datetime.now(dt.UTC).isoformat(), "error_code": None}
        link.product_status = {"accounts": done, "transactions": done}
        access_token = await issue_access_token(session, link, prefix="access-sandbox-")
    headers = {"PLAID-CLIENT-ID": credentials.client_id, "PLAID-SECRET": credentials.client_secret}
    app = create_app(gateway_settings)
    try:
        async with serving(app) as http:
            found = Item(app, http, database, link, headers, access_token)
            await found.refresh([spent(n, pending=n % 4 == 0) for n in range(12)])
            yield found
    finally:
        await database.dispose()


async def pull(item: Item, cursor: str | None, count: int) -> tuple[list[dict[str, Any]], str]:
    """Every page from `cursor`, as bodies without their request ids; and the last cursor."""
    pages: list[dict[str, Any]] = []
    while True:
        answer = await item.sync(cursor, count)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        del body["request_id"]
        pages.append(body)
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return pages, body["next_cursor"]


def joined(pages: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        part: [entry for page in pages for entry in page[part]] for part in ("added", "modified", "removed")
    }


async def test_pages_read_ahead_are_the_pages_read_on_request(item: Item) -> None:
    whole, cursor = await pull(item, None, count=500)  # one page: nothing to read ahead
    assert len(whole) == 1
    assert len(whole[0]["added"]) == 12
    paged, paged_cursor = await pull(item, None, count=5)
    assert len(paged) == 3
    assert joined(paged) == joined(whole)
    # A later update, read from the first pull's cursor: modified, removed and added, three at a time.
    await item.refresh(
        [spent(1, amount="6.00"), spent(4, pending=False), *(spent(n) for n in range(12, 17))],
        removed=("t-2",),
    )
    later_whole, _ = await pull(item, cursor, count=500)
    later_paged, _ = await pull(item, paged_cursor, count=3)
    assert len(later_paged) > 1
    assert joined(later_paged) == joined(later_whole)
    later = joined(later_whole)
    assert [t["name"] for t in later["modified"]] == ["Shop 1"]
    assert sorted(t["name"] for t in later["added"]) == [f"Shop {n}" for n in (12, 13, 14, 15, 16, 4)]
    assert len(later["removed"]) == 2  # t-2, and t-4 as it was pending


async def test_the_next_page_is_read_ahead_and_taken_by_its_request(item: Item) -> None:
    first = (await item.sync(None, count=5)).json()
    await item.settled()
    assert len(item.state.read_ahead) == 1  # the second page, read
    second = (await item.sync(first["next_cursor"], count=5)).json()
    await item.settled()
    assert len(item.state.read_ahead) == 1  # the second was taken, the third read
    third = (await item.sync(second["next_cursor"], count=5)).json()
    assert third["has_more"] is False
    assert len(item.state.read_ahead) == 0  # nothing after the last page
    names = [t["name"] for page in (first, second, third) for t in page["added"]]
    assert len(names) == len(set(names)) == 12


async def test_a_change_mid_pagination_is_not_hidden_by_a_page_read_before_it(item: Item) -> None:
    first = (await item.sync(None, count=5)).json()
    await item.settled()
    await item.refresh([spent(3, amount="9.99")])
    answer = await item.sync(first["next_cursor"], count=5)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    restarted, _ = await pull(item, None, count=5)
    assert len(joined(restarted)["added"]) == 12


async def test_a_page_read_ahead_is_not_given_for_another_count(item: Item) -> None:
    whole = (await item.sync(None, count=500)).json()["added"]
    first = (await item.sync(None, count=5)).json()
    await item.settled()
    second = (await item.sync(first["next_cursor"], count=2)).json()
    assert second["added"] == whole[5:7]
    assert len(item.state.read_ahead) == 2  # count 5's second page, untaken; count 2's next, read


async def test_a_row_changed_before_the_pull_reached_it_is_added_not_modified(item: Item) -> None:
    """Shop 3 was created fourth and updated last: a pull from scratch, 5 a page, meets it on its last
    page, and the reader never had it."""
    await item.refresh([spent(3, amount="9.99")])
    pages, _ = await pull(item, None, count=5)
    assert [len(page["added"]) for page in pages] == [5, 5, 2]
    assert [page["modified"] for page in pages] == [[], [], []]
    assert pages[-1]["added"][-1]["name"] == "Shop 3"
    assert pages[-1]["added"][-1]["amount"] == 9.99


async def test_moneykit_calls_a_row_changed_before_the_pull_reached_it_created(item: Item) -> None:
    await item.refresh([spent(3, amount="9.99")])
    pages = await item.moneykit_pull(size=5)
    assert [len(page["transactions"]["created"]) for page in pages] == [5, 5, 2]
    assert [page["transactions"]["updated"] for page in pages] == [[], [], []]
    assert pages[-1]["transactions"]["created"][-1]["description"] == "Shop 3"
    # The next pull begins where this one ended: a later change is an update, a removal a removal.
    await item.refresh([spent(5, amount="1.00")], removed=("t-6",))
    later = (await item.moneykit_sync(pages[-1]["cursor"]["next"]))["transactions"]
    assert [t["description"] for t in later["updated"]] == ["Shop 5"]
    assert later["created"] == []
    assert len(later["removed"]) == 1
