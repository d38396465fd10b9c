"""Plaid's initial sync of a 50,000-transaction Item from the fake Plaid, against a MoneyKit import.

In one Postgres scratch database, per round (rounds interleaved, the import first in every other one):

(a) the MoneyKit import path (`gateway.links.imports.import_transactions`) of the Item's transactions
    (as the Plaid adapter normalises them) into a new link: the baseline;
(b) the initial refresh of a link adopted from a new Item of the same size, run as a worker runs it
    (`refresh_service.attempt` under `run_durable`): `/accounts/get`, `/transactions/sync` pages of
    500 over real HTTP from the fake Plaid (tests/fakes/plaid, its response validation off: real Plaid
    does not validate), and the change log written, in one unit of work;
(c) of (b), reading alone: the adapter's sync loop over the same Item, nothing stored.

Goal: (b) at most 1.5x (a), medians of the same run; upstream calls counted.

    .venv/bin/python -m bench.plaid_sync [--rounds 3] [--size 50000] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from collections.abc import Sequence

from pydantic import SecretStr
from sqlalchemy import select

from bench.asgi import write_section
from bench.import_links import as_imported, new_import_link
from bench.postgres import results_table, scratch_database
from gateway.crypto import SecretBox
from gateway.db import Database
from gateway.developers.service import developer_service
from gateway.links.adoption import adopt_connection
from gateway.links.imports import (
    import_transactions,
)
from gateway.links.refresh import refresh_service
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.migrate import upgrade_to_head
from gateway.models import RefreshJob
from gateway.settings import Settings
from gateway.upstreams.registry import build_registry, upstream_client
from providers.base import NormalizedTransaction
from providers.plaid.adapter import PlaidProvider
from providers.registry import ProviderRegistry
from tests.fakes.plaid import DEFAULT_CREDENTIALS, PlaidState, running_plaid
from workers.durable import Outcome, Succeeded, run_durable

TITLE = "Plaid initial sync from the fake upstream (Postgres)"
PLATYPUS = "ins_109508"


class Bench:
    def __init__(
        self, database: Database, settings: Settings, providers: ProviderRegistry, plaid: PlaidState
    ):
        self.database, self.settings, self.providers, self.plaid = database, settings, providers, plaid
        self.box = SecretBox(settings.master_key())
        self.app_id = uuid.UUID(int=0)

    def item(self, size: int) -> tuple[str, str]:
        """A new Item with `size` posted transactions: (item id, access token)."""
        item = self.plaid.create_item(institution_id=PLATYPUS, products=("transactions",))
        self.plaid.generate(item.item_id, size)
        return item.item_id, item.access_token

    async def imported(self, transactions: Sequence[NormalizedTransaction], accounts: Sequence[str]) -> float:
        link = await new_import_link(self.database, self.app_id, accounts)
        started = time.perf_counter()
        async with self.database.unit_of_work() as session:
            counts = await import_transactions(session, link, as_imported(transactions))
        elapsed = time.perf_counter() - started
        assert counts.created == len(transactions), counts
        return elapsed

    async def synced(self, access_token: str, size: int) -> tuple[float, int]:
        """Seconds for the adopted link's initial refresh, and the upstream calls it made."""
        async with self.database.unit_of_work() as session:
            link, _ = await adopt_connection(
                session, self.box, self.providers, {"plaid"}, app_id=self.app_id, provider="plaid",
                credentials={"access_token": access_token}, user_field="guid", user_id=f"USR-{uuid.uuid4()}",
            )  # fmt: skip
            job = await session.scalar(select(RefreshJob.id).where(RefreshJob.link_id == link.id))
        assert job is not None
        calls = len(self.plaid.requests)

        async def perform(row_id: uuid.UUID, attempt: int) -> Outcome:
            return await refresh_service.attempt(
                self.database, self.settings, self.providers, row_id, attempt
            )

        started = time.perf_counter()
        outcome = await run_durable(self.database, REFRESH_JOBS, job, self.settings, perform)
        elapsed = time.perf_counter() - started
        assert isinstance(outcome, Succeeded), outcome
        return elapsed, len(self.plaid.requests) - calls

    async def read_only(self, access_token: str) -> tuple[float, list[NormalizedTransaction]]:
        adapter = self.providers.get("plaid")
        assert isinstance(adapter, PlaidProvider)
        started = time.perf_counter()
        delta = await adapter.transactions({"access_token": access_token}, None)
        return time.perf_counter() - started, list(delta.upserted)


async def measure(settings: Settings, plaid: PlaidState, rounds: int, size: int) -> dict[str, list[float]]:
    database = Database.from_settings(settings)
    http = upstream_client(settings)
    bench = Bench(database, settings, build_registry(settings, http), plaid)
    try:
        async with database.unit_of_work() as session:
            app = await developer_service.bootstrap(
                session, email="bench@example.com", master_key=settings.master_key()
            )
        bench.app_id = app.app_id
        await bench.read_only(bench.item(1)[1])  # the fake loads Plaid's OpenAPI file on first use
        times: dict[str, list[float]] = {"import": [], "sync": [], "read": [], "calls": []}
        for round_number in range(rounds):
            _, token = bench.item(size)
            reading, transactions = await bench.read_only(token)
            accounts = sorted({t.provider_account_id for t in transactions})
            if round_number % 2 == 0:
                times["import"].append(await bench.imported(transactions, accounts))
            _, fresh = bench.item(size)
            elapsed, calls = await bench.synced(fresh, size)
            times["sync"].append(elapsed)
            times["calls"].append(calls)
            times["read"].append(reading)
            if round_number % 2 == 1:
                times["import"].append(await bench.imported(transactions, accounts))
        return times
    finally:
        await http.aclose()
        await database.dispose()


def report(times: dict[str, list[float]], rounds: int, size: int) -> str:
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["sync"] / median["import"]
    rows = [
        (f"(a) MoneyKit import of the same {size:,} transactions (baseline)", f"{median['import']:.3f} s",
         "-"),
        (f"(b) initial refresh of a {size:,}-transaction Item: accounts, sync pages, change log",
         f"{median['sync']:.3f} s ({int(median['calls'])} upstream calls)",
         f"{ratio:.2f}x: {'met' if ratio <= 1.5 else 'NOT met'} (at most 1.5x)"),
        ("(c) of (b), reading the pages from Plaid alone (HTTP, JSON, normalising)",
         f"{median['read']:.3f} s", "-"),
    ]  # fmt: skip
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"`python -m bench.plaid_sync --rounds {rounds} --size {size}` on {platform.machine()} "
            f"({os.cpu_count()} cores) Python {platform.python_version()}, PostgreSQL on this machine, the "
            "fake Plaid on a loopback port in this process (its OpenAPI validation off), load average "
            f"{os.getloadavg()[0]:.1f} at the end; medians of {rounds} interleaved rounds.",
            "",
            *results_table(rows),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Plaid's initial sync from the fake upstream, on Postgres.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    client_id, secret = DEFAULT_CREDENTIALS
    with (
        scratch_database() as database_url,
        running_plaid(PlaidState(seed_transactions=False, validate_responses=False)) as plaid,
    ):
        upgrade_to_head(database_url)
        settings = Settings(
            database_url=database_url, secret_key=SecretStr("b" * 48), plaid_client_id=client_id,
            plaid_secret=SecretStr(secret), plaid_base_url=plaid.base_url, simplefin_enabled=False,
        )  # fmt: skip
        times = asyncio.run(measure(settings, plaid.state, args.rounds, args.size))
    text = report(times, args.rounds, args.size)
    print(text)
    if args.write:
        write_section(TITLE, text)


if __name__ == "__main__":
    main()
