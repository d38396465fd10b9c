"""Ingesting a 10,000-transaction SimpleFIN snapshot through the reconciler, against a MoneyKit import.

In one Postgres scratch database, per round (rounds interleaved, so drift in machine load hits all
alike), each measured as one committed unit of work, as the gateway runs it:

(a) the MoneyKit import path (`gateway.links.imports.import_transactions`) of the 10,000 transactions
    into a new link: the baseline;
(b) a first refresh of the same 10,000 as a SimpleFIN Account Set (the `/accounts` JSON, version 2;
    2 % of them pending) into another new link: normalise it as the adapter does
    (`providers.simplefin.normalize.account_set`), lock the link, read what it holds for the window
    (`stored_for_window`), `reconcile`, `apply`;
(c) a second refresh of that link with the same window 1 % changed: 40 amounts changed, 30 pending
    ones posted under new ids (half with a tip), 30 new transactions.

Goal: (b) and (c) each at most 2x (a), medians of the same run.

    .venv/bin/python -m bench.simplefin_ingest [--rounds 5] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bench.asgi import write_section
from bench.import_links import as_imported, new_import_link
from bench.postgres import results_table, scratch_database
from gateway.db import Database
from gateway.developers.service import developer_service
from gateway.links.imports import (
    ImportedTransaction,
    import_transactions,
)
from gateway.links.repository import link_reader
from gateway.migrate import upgrade_to_head
from gateway.models.link import Link
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.transactions.reconcile import ReconcileRules, earliest_date, reconcile
from gateway.transactions.repository import transaction_repository
from providers.base import NormalizedTransaction, TransactionsWindow
from providers.simplefin.normalize import account_set as simplefin_account_set

TITLE = "SimpleFIN snapshots through the reconciler (Postgres)"
SIZE = 10_000
CONNECTION = "CON-1"
ACCOUNTS = ("acc-1", "acc-2", "acc-3", "acc-4")
DAYS = 90
PENDING_EVERY = 50  # 2 % pending, all in the last few days
CHANGED_AMOUNTS, POSTED_RENUMBERED, ADDED = 40, 30, 30  # 1 % of SIZE


def merchant(number: int) -> str:
    """A payee name of letters ("Shop bcd"): digits would be dropped when descriptions are compared."""
    letters = "".join(chr(ord("a") + int(d)) for d in str(number))
    return f"Shop {letters}"


def snapshot(today: dt.date) -> list[NormalizedTransaction]:
    """SIZE transactions over ACCOUNTS and the last DAYS days; every PENDING_EVERY-th one pending."""
    transactions = []
    for n in range(SIZE):
        pending = n % PENDING_EVERY == 0
        transactions.append(
            NormalizedTransaction(
                provider_transaction_id=f"TRN-{n:06d}",
                provider_account_id=ACCOUNTS[n % len(ACCOUNTS)],
                amount=Decimal(f"{1 + n % 97}.{n % 100:02d}"),
                direction="debit" if n % 9 else "credit",
                currency="USD",
                date=today - dt.timedelta(days=n % 4 if pending else n % DAYS),
                description=f"{merchant(n % 500)} #{n % 9000:04d}",
                pending=pending,
            )  # fmt: skip
        )
    return transactions


def changed(first: Sequence[NormalizedTransaction], today: dt.date) -> list[NormalizedTransaction]:
    """`first` with 1 % changed: amounts, pending ones posted under new ids (some with a tip), new ones."""
    second = list(first)
    posted = [n for n, t in enumerate(first) if not t.pending]
    for n in posted[:CHANGED_AMOUNTS]:
        second[n] = replace(first[n], amount=first[n].amount + 1)
    for k, n in enumerate([n for n, t in enumerate(first) if t.pending][:POSTED_RENUMBERED]):
        tip = Decimal("1.15") if k % 2 else Decimal(1)
        second[n] = replace(
            first[n], provider_transaction_id=f"TRN-P{n:06d}", pending=False,
            amount=(first[n].amount * tip).quantize(Decimal("0.01")),
            date=first[n].date + dt.timedelta(days=1),
        )  # fmt: skip
    for k in range(ADDED):
        second.append(replace(first[k + 1], provider_transaction_id=f"TRN-N{k:06d}", date=today))
    return second


def _epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp())


def account_set(transactions: Sequence[NormalizedTransaction]) -> dict[str, Any]:
    """The transactions as a SimpleFIN Bridge would answer `/accounts?version=2` (signed decimal
    strings, Unix times, `posted: 0` while pending)."""
    by_account: dict[str, list[dict[str, Any]]] = {account: [] for account in ACCOUNTS}
    for t in transactions:
        signed = t.amount if t.direction == "credit" else -t.amount
        by_account[t.provider_account_id].append({
            "id": t.provider_transaction_id, "amount": str(signed), "description": t.description,
            "posted": 0 if t.pending else _epoch(t.date), "transacted_at": _epoch(t.date),
            **({"pending": True} if t.pending else {}),
        })  # fmt: skip
    return {
        "errlist": [],
        "connections": [{"conn_id": CONNECTION, "name": "Bench Bank", "org_id": "ORG-BENCH",
                         "sfin_url": "https://bridge.example"}],
        "accounts": [{"conn_id": CONNECTION, "id": account, "name": f"Checking {account}", "currency": "USD",
                      "balance": "100.00", "balance-date": _epoch(dt.date.today()), "transactions": rows}
                     for account, rows in by_account.items()],
    }  # fmt: skip


def window(body: dict[str, Any], today: dt.date, read: int) -> TransactionsWindow:
    """What the adapter makes of one Account Set: its transactions, normalised, as a window."""
    found = simplefin_account_set(body, dt.datetime.now(dt.UTC))
    start = today - dt.timedelta(days=DAYS)
    covered = tuple(account.provider_account_id for account in found.accounts)
    return TransactionsWindow(start, None, covered, found.transactions, next_cursor=f"read-{read}")


class Bench:
    def __init__(self, database: Database, app_id: uuid.UUID) -> None:
        self.database, self.app_id = database, app_id
        self.rules = ReconcileRules()

    async def new_link(self) -> Link:
        return await new_import_link(self.database, self.app_id, [f"{CONNECTION}/{a}" for a in ACCOUNTS])

    async def imported(self, link: Link, transactions: Sequence[ImportedTransaction]) -> float:
        started = time.perf_counter()
        async with self.database.unit_of_work() as session:
            counts = await import_transactions(session, link, transactions)
        elapsed = time.perf_counter() - started
        assert counts.created == SIZE, counts
        return elapsed

    async def reconciled(self, link: Link, body: dict[str, Any], read: int) -> tuple[float, float, int]:
        """Seconds for the whole refresh of transactions (from the Account Set), seconds of it normalising,
        reading and reconciling, changes. A second window must pair every renumbered posting."""
        started = time.perf_counter()
        seen = window(body, dt.date.today(), read)
        async with self.database.unit_of_work() as session:
            locked = await link_reader.require(session, link.app_id, link.id, for_update=True)
            stored = await transaction_repository.stored_for_window(
                session, locked.app_id, locked.id, since=earliest_date(seen)
            )
            delta = reconcile(seen, stored, self.rules)
            reconciled_at = time.perf_counter()
            paired = sum(1 for t in delta.upserted if t.pending_transaction_id)
            assert paired == (POSTED_RENUMBERED if stored else 0), paired
            ids = await product_repository.account_ids(session, locked.app_id, locked.id)
            await transaction_repository.rename(session, locked.app_id, locked.id, delta.renamed)
            counts = await transaction_repository.apply(
                session, app_id=locked.app_id, link_id=locked.id, account_ids=ids,
                upserted=delta.upserted, removed=delta.removed,
            )  # fmt: skip
            locked.transactions_cursor = delta.next_cursor
        return time.perf_counter() - started, reconciled_at - started, counts.total


async def measure(database_url: str, rounds: int) -> dict[str, list[float]]:
    settings = Settings(database_url=database_url, secret_key="b" * 48)
    database = Database.from_settings(settings)
    try:
        async with database.unit_of_work() as session:
            app = await developer_service.bootstrap(
                session, email="bench@example.com", master_key=settings.master_key()
            )
        bench = Bench(database, app.app_id)
        today = dt.date.today()
        first = snapshot(today)
        first_body, second_body = account_set(first), account_set(changed(first, today))
        imported = as_imported(first, account_prefix=f"{CONNECTION}/")
        times: dict[str, list[float]] = {"import": [], "first": [], "second": [], "second_read": []}
        changes: list[float] = []
        for round_number in range(rounds):
            if round_number % 2 == 0:  # the import first in every other round, last in the others
                times["import"].append(await bench.imported(await bench.new_link(), imported))
            link = await bench.new_link()
            times["first"].append((await bench.reconciled(link, first_body, 1))[0])
            elapsed, reading, count = await bench.reconciled(link, second_body, 2)
            times["second"].append(elapsed)
            times["second_read"].append(reading)
            changes.append(count)
            if round_number % 2 == 1:
                times["import"].append(await bench.imported(await bench.new_link(), imported))
        times["changes"] = changes
        return times
    finally:
        await database.dispose()


def report(times: dict[str, list[float]], rounds: int) -> str:
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["import"]

    def goal(name: str) -> str:
        ratio = median[name] / base
        return f"{ratio:.2f}x: {'met' if ratio <= 2 else 'NOT met'} (at most 2x)"

    rows = [
        (f"(a) MoneyKit import of {SIZE:,} transactions (baseline)", f"{base:.3f} s", "-"),
        (f"(b) first refresh: the same {SIZE:,} as an Account Set (2 % pending)", f"{median['first']:.3f} s",
         goal("first")),
        (f"(c) second refresh: that Account Set 1 % changed ({int(median['changes'])} changes logged)",
         f"{median['second']:.3f} s", goal("second")),
        ("(c) of which normalising, reading what the link holds and reconciling",
         f"{median['second_read']:.3f} s", "-"),
    ]  # fmt: skip
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"`python -m bench.simplefin_ingest --rounds {rounds}` on {platform.machine()} "
            f"({os.cpu_count()} cores) Python {platform.python_version()}, PostgreSQL on this machine, "
            f"in-process (no HTTP), load average {os.getloadavg()[0]:.1f} at the end: each measure one "
            f"committed unit of work, median of {rounds} interleaved rounds (the import first in every other "
            "round, last in the rest). The reconciler pairs all 30 renumbered postings in (c); the bench "
            "asserts it.",
            "",
            *results_table(rows),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="SimpleFIN snapshots through the reconciler, on Postgres.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with scratch_database() as database_url:
        upgrade_to_head(database_url)
        times = asyncio.run(measure(database_url, args.rounds))
    text = report(times, args.rounds)
    print(text)
    if args.write:
        write_section(TITLE, text)


if __name__ == "__main__":
    main()
