"""MoneyKit on Postgres: importing 4000 transactions, and a page of 100 from a link holding 50,000.

1. `POST /v1/moneykit/links/import` with 4000 transactions, repeated: the median latency against the
   goal (under 0.5 s; the seed allows 10 s), with asyncpg COPYing the same rows into a bare table
   measured in the same run as the floor.
2. `GET /v1/moneykit/links/{id}/transactions?size=100` on a link with 50,000 transactions, against a
   minimal FastAPI + asyncpg endpoint running the same page and count queries
   (`bench/baseline_page_app.py`); goal at least 0.7 of its throughput. One uvicorn process each,
   wrk (or the asyncio client) on the other core.

    .venv/bin/python -m bench.moneykit_reads [--imports 7] [--seconds 3] [--rounds 3] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from bench.asgi import write_section
from bench.auth_overhead import free_port
from bench.http_load import Request, generator_name, throughput
from bench.postgres import ROOT, gateway_env, results_table, scratch_database, settle, start

TITLE = "MoneyKit imports and transaction pages (Postgres)"
PAGE_LINK_SIZE = 50_000
BATCH = 4000


def import_body(customer: str, count: int, offset: int = 0) -> dict[str, Any]:
    today = dt.date.today()
    checking = {
        "account_id": "acc-1",
        "name": "Checking",
        "type": "depository.checking",
        "balances": {"current": 1000.5},
    }
    transactions = [
        {
            "account_id": "acc-1",
            "transaction_id": f"t-{offset + n}",
            "amount": f"-{1 + n % 97}.{n % 100:02d}",
            "date": (today - dt.timedelta(days=(offset + n) % 80)).isoformat(),
            "description": f"Merchant {n % 500}",
            "type": "shopping.general",
        }
        for n in range(count)
    ]
    return {"customer_user": {"id": customer}, "institution_id": "bench_bank", "accounts": [checking],
            "transactions": transactions}  # fmt: skip


async def copy_floor(database_url: str, body: dict[str, Any]) -> float:
    """Seconds for asyncpg to COPY the same rows into a bare table: the floor for any import."""
    rows = [
        (
            uuid.uuid4(),
            t["transaction_id"],
            abs(Decimal(t["amount"])),
            dt.date.fromisoformat(t["date"]),
            t["description"],
        )
        for t in body["transactions"]
    ]
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "CREATE TEMP TABLE floor (id uuid, provider_id text, amount numeric, date date, description text)"
        )
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table("floor", records=rows)
        return time.perf_counter() - started
    finally:
        await connection.close()


async def wait_ready(port: int, path: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(f"http://127.0.0.1:{port}{path}")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"nothing answers on {port}{path}")


async def token_for(http: httpx.AsyncClient, credentials: dict[str, str]) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"]}  # fmt: skip
    return {"authorization": "Bearer " + (await http.post("/auth/token", data=form)).json()["access_token"]}


async def measure_imports(
    port: int, credentials: dict[str, str], database_url: str, count: int
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/v1/moneykit", timeout=60) as http:
        await wait_ready(port, "/healthz")
        auth = await token_for(http, credentials) | {"content-type": "application/json"}
        latencies = []
        for n in range(count):
            payload = json.dumps(import_body(f"bench-import-{n}", BATCH)).encode()
            started = time.perf_counter()
            response = await http.post("/links/import", content=payload, headers=auth)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
        body = import_body("floor", BATCH)
        floor = statistics.median([await copy_floor(database_url, body) for _ in range(count)])
        link_id = await build_page_link(http, auth)
    await settle(database_url)
    return {
        "latencies": latencies,
        "payload_bytes": len(payload),
        "floor_s": floor,
        "link_id": link_id,
        "authorization": auth["authorization"],
    }


async def build_page_link(http: httpx.AsyncClient, auth: dict[str, str]) -> str:
    """An imported link holding PAGE_LINK_SIZE transactions over the last 80 days; returns its id."""
    created = await http.post("/links/import", json=import_body("bench-page", BATCH), headers=auth)
    link_id: str = created.json()["link_id"]
    for offset in range(BATCH, PAGE_LINK_SIZE, BATCH):
        size = min(BATCH, PAGE_LINK_SIZE - offset)
        batch = {"transactions": import_body("bench-page", size, offset)["transactions"]}
        added = await http.post(f"/links/{link_id}/import/transactions", json=batch, headers=auth)
        assert added.status_code == 200, added.text[:300]
    return link_id


async def measure_pages(
    port: int, baseline_port: int, link_id: str, authorization: str, args: argparse.Namespace
) -> dict[str, float]:
    await wait_ready(baseline_port, "/page")
    ours = Request(
        "GET", f"/v1/moneykit/links/{link_id}/transactions?size=100", {"Authorization": authorization}
    )
    theirs = Request("GET", "/page")
    rates: dict[str, list[float]] = {"gateway": [], "baseline": []}
    for _ in range(args.rounds):  # interleaved, so drift in machine load hits both alike
        rates["baseline"].append(await throughput(baseline_port, theirs, seconds=args.seconds, connections=8))
        rates["gateway"].append(await throughput(port, ours, seconds=args.seconds, connections=8))
    return {name: statistics.median(values) for name, values in rates.items()}


def bootstrap(env: dict[str, str]) -> dict[str, str]:
    """Migrate the scratch database and make the bootstrap developer's app; its credentials."""
    subprocess.run(
        [sys.executable, "-m", "gateway.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    boot = subprocess.run([sys.executable, "-m", "gateway.cli", "bootstrap", "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    credentials: dict[str, str] = json.loads(boot.stdout.strip().splitlines()[-1])
    return credentials


def baseline_command(port: int) -> list[str]:
    """The baseline app (`bench/baseline_page_app.py`) under uvicorn with uvloop and httptools."""
    return [sys.executable, "-m", "uvicorn", "bench.baseline_page_app:create_baseline", "--factory",
            "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
            "--no-access-log"]  # fmt: skip


def run(args: argparse.Namespace, database_url: str, env: dict[str, str]) -> dict[str, Any]:
    credentials = bootstrap(env)
    port, baseline_port = free_port(), free_port()
    processes = [start([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)], env)]
    try:
        imports = asyncio.run(measure_imports(port, credentials, database_url, args.imports))
        baseline_env = env | {"BENCH_DATABASE_URL": database_url, "BENCH_APP_ID": credentials["app_id"],
                              "BENCH_LINK_ID": imports["link_id"]}  # fmt: skip
        processes.append(start(baseline_command(baseline_port), baseline_env))
        pages = asyncio.run(
            measure_pages(port, baseline_port, imports["link_id"], imports["authorization"], args)
        )
        return imports | pages
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    median, worst = statistics.median(result["latencies"]), max(result["latencies"])
    ratio = result["gateway"] / result["baseline"]
    rows = [
        (f"import of {BATCH} transactions ({result['payload_bytes'] / 1e6:.2f} MB), median of {args.imports}",
         f"{median:.3f} s (max {worst:.3f} s)", f"under 0.5 s: {'met' if median < 0.5 else 'NOT met'}"),
        ("asyncpg COPY of the same rows into a bare table (floor)", f"{result['floor_s']:.3f} s", "-"),
        ("page of 100 of 50,000 transactions, gateway", f"{result['gateway']:,.0f} req/s", "-"),
        ("the same queries, minimal FastAPI + asyncpg (baseline)", f"{result['baseline']:,.0f} req/s", "-"),
        ("gateway / baseline", f"{ratio:.2f}", f"at least 0.70: {'met' if ratio >= 0.7 else 'NOT met'}"),
    ]  # fmt: skip
    flags = f"--imports {args.imports} --seconds {args.seconds} --rounds {args.rounds}"
    command = f"python -m bench.moneykit_reads {flags}"
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"`{command}` on {platform.machine()} Python {platform.python_version()}, PostgreSQL on this "
            f"machine, one uvicorn process per server, load from {generator_name()} with 8 connections.",
            "",
            *results_table(rows),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="MoneyKit import and read benchmarks on Postgres.")
    parser.add_argument("--imports", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for EXPLAIN")
    args = parser.parse_args()
    with scratch_database(keep=args.keep_database) as database_url:
        result = run(args, database_url, gateway_env(database_url))
    text = report(result, args)
    print(text)
    if args.write:
        write_section(TITLE, text)


if __name__ == "__main__":
    main()
