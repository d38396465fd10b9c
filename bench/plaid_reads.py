"""Plaid on Postgres: `/transactions/get` pages and a full `/transactions/sync` pull of a 50,000 Item.

1. `POST /v1/plaid/transactions/get` with `count` 100 over the whole window, against a minimal FastAPI +
   asyncpg endpoint running the same page and count queries and rendering Plaid-shaped transactions
   (`bench/baseline_page_app.py`); goal at least 0.7 of its throughput. One uvicorn process each, wrk
   (or the asyncio client) on the other core, rounds interleaved.
2. A full `/transactions/sync` pull of that Item (no cursor, `count` 500, until `has_more` is false),
   repeated; goal under 2 s.

The Item is built with MoneyKit's import (the fastest way to 50,000 transactions) and given an access
token and a connected state directly in the database, as `/item/public_token/exchange` would.

    .venv/bin/python -m bench.plaid_reads [--seconds 3] [--rounds 3] [--pulls 5] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import platform
import statistics
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx

from bench.asgi import write_section
from bench.auth_overhead import free_port
from bench.http_load import Request, generator_name, throughput
from bench.moneykit_reads import (
    PAGE_LINK_SIZE,
    baseline_command,
    bootstrap,
    build_page_link,
    token_for,
    wait_ready,
)
from bench.postgres import gateway_env, results_table, scratch_database, settle, start

TITLE = "Plaid transaction pages and sync (Postgres)"
WINDOW = {"start_date": "2000-01-01", "end_date": "2100-01-01"}


async def plaid_item(database_url: str, link_id: str, app_id: str) -> str:
    """Make the imported link a connected Item with an access token; returns the token."""
    token = f"access-sandbox-{uuid.uuid4()}"
    refreshed = {"refreshed_at": dt.datetime.now(dt.UTC).isoformat(), "error_code": None}
    status = json.dumps({"accounts": refreshed, "transactions": refreshed})
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE links SET state = 'connected', error_code = NULL, products = $2::jsonb,"
            " product_status = $3::jsonb WHERE id = $1",
            uuid.UUID(link_id), json.dumps(["accounts", "transactions"]), status,
        )  # fmt: skip
        now = dt.datetime.now(dt.UTC)
        await connection.execute(
            "INSERT INTO link_access_tokens (id, app_id, link_id, token_hash, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $5)",
            uuid.uuid4(), uuid.UUID(app_id), uuid.UUID(link_id), hashlib.sha256(token.encode()).hexdigest(),
            now,
        )  # fmt: skip
    finally:
        await connection.close()
    return token


async def full_sync(port: int, headers: dict[str, str], access_token: str) -> tuple[float, int]:
    """Seconds to pull every change from no cursor, and how many transactions came."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/v1/plaid", timeout=60) as http:
        started, added, cursor = time.perf_counter(), 0, None
        while True:
            body: dict[str, Any] = {"access_token": access_token, "count": 500}
            if cursor is not None:
                body["cursor"] = cursor
            page = (await http.post("/transactions/sync", json=body, headers=headers)).json()
            added += len(page["added"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return time.perf_counter() - started, added


async def measure(port: int, baseline_port: int, headers: dict[str, str], access_token: str,
                  args: argparse.Namespace) -> dict[str, Any]:  # fmt: skip
    await wait_ready(baseline_port, "/docs")
    body = json.dumps({"access_token": access_token, **WINDOW, "options": {"count": 100}}).encode()
    ours = Request("POST", "/v1/plaid/transactions/get", headers | {"Content-Type": "application/json"}, body)
    theirs = Request("POST", "/plaid/transactions/get", {"Content-Type": "application/json"},
                     json.dumps(WINDOW).encode())  # fmt: skip
    rates: dict[str, list[float]] = {"gateway": [], "baseline": []}
    for _ in range(args.rounds):  # interleaved, so drift in machine load hits both alike
        rates["baseline"].append(await throughput(baseline_port, theirs, seconds=args.seconds, connections=8))
        rates["gateway"].append(await throughput(port, ours, seconds=args.seconds, connections=8))
    pulls = [await full_sync(port, headers, access_token) for _ in range(args.pulls)]
    assert all(count == PAGE_LINK_SIZE for _, count in pulls), pulls
    return {name: statistics.median(values) for name, values in rates.items()} | {
        "pulls": [seconds for seconds, _ in pulls]
    }


def run(args: argparse.Namespace, database_url: str, env: dict[str, str]) -> dict[str, Any]:
    credentials = bootstrap(env)
    port, baseline_port = free_port(), free_port()
    processes = [start([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)], env)]
    try:

        async def prepare() -> tuple[str, str]:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}/v1/moneykit", timeout=120
            ) as http:
                await wait_ready(port, "/healthz")
                auth = await token_for(http, credentials) | {"content-type": "application/json"}
                link_id = await build_page_link(http, auth)
            await settle(database_url)
            return link_id, await plaid_item(database_url, link_id, credentials["app_id"])

        link_id, access_token = asyncio.run(prepare())
        baseline_env = env | {"BENCH_DATABASE_URL": database_url, "BENCH_APP_ID": credentials["app_id"],
                              "BENCH_LINK_ID": link_id}  # fmt: skip
        processes.append(start(baseline_command(baseline_port), baseline_env))
        headers = {"PLAID-CLIENT-ID": credentials["client_id"], "PLAID-SECRET": credentials["client_secret"]}
        return asyncio.run(measure(port, baseline_port, headers, access_token, args))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    ratio = result["gateway"] / result["baseline"]
    pull, worst = statistics.median(result["pulls"]), max(result["pulls"])
    rows = [
        ("/transactions/get, count 100 of 50,000, gateway", f"{result['gateway']:,.0f} req/s", "-"),
        ("the same queries, minimal FastAPI + asyncpg (baseline)", f"{result['baseline']:,.0f} req/s", "-"),
        ("gateway / baseline", f"{ratio:.2f}", f"at least 0.70: {'met' if ratio >= 0.7 else 'NOT met'}"),
        (f"full /transactions/sync pull of 50,000 (count 500), median of {args.pulls}",
         f"{pull:.2f} s (max {worst:.2f} s)", f"under 2 s: {'met' if pull < 2 else 'NOT met'}"),
    ]  # fmt: skip
    command = (
        f"python -m bench.plaid_reads --seconds {args.seconds} --rounds {args.rounds} --pulls {args.pulls}"
    )
    return "\n".join([
        f"## {TITLE}",
        "",
        f"`{command}` on {platform.machine()} Python {platform.python_version()}, PostgreSQL on this "
        f"machine, one uvicorn process per server, load from {generator_name()} with 8 connections.",
        "",
        *results_table(rows),
        "",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="Plaid read benchmarks on Postgres.")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pulls", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with scratch_database() as database_url:
        result = run(args, database_url, gateway_env(database_url))
    text = report(result, args)
    print(text)
    if args.write:
        write_section(TITLE, text)


if __name__ == "__main__":
    main()
