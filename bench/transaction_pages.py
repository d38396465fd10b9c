"""Every format's page of 100 transactions on a 50,000-transaction link, and a full Plaid sync pull.

1. Pages: Plaid `/transactions/get`, MoneyKit `/links/{id}/transactions`, MX transactions by user and
   by account, Yodlee `/transactions`, each with 100 rows, against the page-only baseline
   (`bench/baseline_pages_app.py`: minimal FastAPI + asyncpg reading the same 100 rows by the same
   index and rendering them with the same renderers, no count, no authentication). Goal: at least
   0.5 of its throughput, with every total the format requires exact. One uvicorn process each, wrk on
   the other core, rounds interleaved.
2. Sync: a full Plaid `/transactions/sync` pull of the link (no cursor, `count` 500, until `has_more`
   is false), repeated. Goal: at most 1.2 s. The client decodes with orjson; its share (decoding) is
   measured and stated apart from the rest (the gateway and loopback HTTP). Pulls alternate with pulls
   from a second gateway process that does not read pages ahead (`LINKGATE_READ_AHEAD_PAGES=0`), what
   reading ahead buys measured in the same run.

By default a scratch database gets the link through MoneyKit's import. With `--dataset MANIFEST` (from
`bench.scale_dataset`) the pages are read on that database's first 50,000-transaction link instead.

    .venv/bin/python -m bench.transaction_pages [--seconds 3] [--rounds 3] [--pulls 5] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench.asgi import write_section
from bench.auth_overhead import free_port
from bench.http_load import Request, generator_name, throughput
from bench.moneykit_reads import PAGE_LINK_SIZE, bootstrap, build_page_link, token_for, wait_ready
from bench.plaid_reads import plaid_item
from bench.postgres import gateway_env, results_table, scratch_database, settle, start
from formats.mx.render import guid as mx_guid

TITLE = "Transaction pages in every format, and the Plaid sync pull (Postgres)"
GOAL_RATIO = 0.5
GOAL_PULL_S = 1.2
MX_ACCEPT = "application/vnd.mx.api.v1+json"
YODLEE_VERSION = {"Api-Version": "1.1"}


@dataclass(frozen=True)
class Link:
    """The 50,000-transaction link and what each format needs to read it."""

    database_url: str
    credentials: dict[str, str]
    link_id: str
    access_token: str


@dataclass(frozen=True)
class Page:
    name: str
    ours: Request
    baseline: str  # the baseline's format
    total_key: tuple[str, ...]  # where the body carries the format's total (empty: none)
    days: tuple[int, int] = (-36500, 36500)  # the window the route reads, in days from today
    scope: str = "link"  # what the total counts: the link, all the user's links, or one account


MONEYKIT_DAYS = (-90, 0)  # its default window
MX_DAYS = (-120, 5)


# The link's account holding the most transactions: the by-account page's.
BUSIEST_ACCOUNT = (
    "SELECT account_id FROM transaction_day_counts WHERE link_id = $1 GROUP BY account_id"
    " ORDER BY sum(live) DESC, account_id LIMIT 1"
)
SCOPES = {
    "link": "t.link_id = $1",
    "user": "t.link_id IN (SELECT l.id FROM links l WHERE l.end_user_id = (SELECT end_user_id FROM links"
    " WHERE id = $1) AND l.state IN ('connected', 'error') AND l.products ? 'transactions')",
    "account": f"t.account_id = ({BUSIEST_ACCOUNT})",
}


async def counted(link: Link, page: Page) -> int:
    """`count(*)` of the live transactions a page's total covers: what the total must say."""
    today = dt.date.today()
    connection = await asyncpg.connect(link.database_url)
    try:
        total: int = await connection.fetchval(
            f"SELECT count(*) FROM transactions t WHERE {SCOPES[page.scope]} AND t.change_kind <> 'removed'"
            " AND t.date BETWEEN $2 AND $3",
            uuid.UUID(link.link_id), today + dt.timedelta(days=page.days[0]),
            today + dt.timedelta(days=page.days[1]),
        )  # fmt: skip
    finally:
        await connection.close()
    return total


def baseline_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench.baseline_pages_app:create_baseline", "--factory",
            "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
            "--no-access-log"]  # fmt: skip


async def yodlee_token(http: httpx.AsyncClient, credentials: dict[str, str], login: str) -> str:
    form = {"clientId": credentials["client_id"], "secret": credentials["client_secret"]}
    answer = await http.post(
        "/v2/yodlee/auth/token", headers=YODLEE_VERSION | {"loginName": login}, data=form
    )
    assert answer.status_code == 201, answer.text[:300]
    token: str = answer.json()["token"]["accessToken"]
    return token


async def mx_ids(link: Link) -> tuple[str, str]:
    """The MX guids of the link's user and of its busiest account."""
    connection = await asyncpg.connect(link.database_url)
    try:
        row = await connection.fetchrow(
            f"SELECT u.guid, ({BUSIEST_ACCOUNT}) AS account_id FROM links l"
            " JOIN end_users u ON u.id = l.end_user_id WHERE l.id = $1",
            uuid.UUID(link.link_id),
        )
    finally:
        await connection.close()
    return row["guid"], mx_guid("account", row["account_id"])


async def pages_of(port: int, link: Link) -> list[Page]:
    credentials = link.credentials
    secret = f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    basic = {"Authorization": "Basic " + base64.b64encode(secret).decode(), "Accept": MX_ACCEPT}
    user_guid, account_guid = await mx_ids(link)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        moneykit = await _moneykit_token(http, credentials)
        yodlee = await yodlee_token(http, credentials, user_guid)  # a user token names the user by guid
    plaid = {"PLAID-CLIENT-ID": credentials["client_id"], "PLAID-SECRET": credentials["client_secret"],
             "Content-Type": "application/json"}  # fmt: skip
    plaid_body = {"access_token": link.access_token, "start_date": "2000-01-01", "end_date": "2100-01-01",
                  "options": {"count": 100}}  # fmt: skip
    mx_window = "records_per_page=100"
    return [
        Page(
            "Plaid /transactions/get",
            Request("POST", "/v1/plaid/transactions/get", plaid, orjson.dumps(plaid_body)),
            "plaid",
            ("total_transactions",),
        ),  # fmt: skip
        Page(
            "MoneyKit /links/{id}/transactions",
            Request("GET", f"/v1/moneykit/links/{link.link_id}/transactions?size=100", moneykit),
            "moneykit",
            ("total",),
            MONEYKIT_DAYS,
        ),  # fmt: skip
        Page(
            "MX /users/{guid}/transactions",
            Request("GET", f"/v1/mx/users/{user_guid}/transactions?{mx_window}", basic),
            "mx",
            ("pagination", "total_entries"),
            MX_DAYS,
            "user",
        ),  # fmt: skip
        Page(
            "MX /users/{guid}/accounts/{guid}/transactions",
            Request(
                "GET", f"/v1/mx/users/{user_guid}/accounts/{account_guid}/transactions?{mx_window}", basic
            ),
            "mx",
            ("pagination", "total_entries"),
            MX_DAYS,
            "account",
        ),  # fmt: skip
        Page(
            "Yodlee /transactions",
            Request(
                "GET",
                "/v2/yodlee/transactions?top=100&fromDate=2000-01-01",
                YODLEE_VERSION | {"Authorization": f"Bearer {yodlee}"},
            ),
            "yodlee",
            (),
        ),  # fmt: skip
    ]


async def _moneykit_token(http: httpx.AsyncClient, credentials: dict[str, str]) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"]}  # fmt: skip
    answer = await http.post("/v1/moneykit/auth/token", data=form)
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


async def check_page(port: int, page: Page, link: Link) -> None:
    """The page has 100 rows and the exact total, before it is timed."""
    expected_total = await counted(link, page)
    request = page.ours
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        answer = await http.request(
            request.method, request.path, headers=request.headers, content=request.body
        )
    assert answer.status_code == 200, (page.name, answer.text[:300])
    body = answer.json()
    rows = body["transaction" if page.baseline == "yodlee" else "transactions"]
    assert len(rows) == 100, (page.name, len(rows), answer.text[:300])
    total: Any = body
    for key in page.total_key:
        total = total[key]
    if page.total_key:
        assert total == expected_total, (page.name, total, expected_total)


async def full_sync(port: int, link: Link) -> tuple[float, float, int]:
    """Seconds to pull every change from no cursor, the client's seconds decoding, and how many came."""
    credentials = link.credentials
    headers = {"PLAID-CLIENT-ID": credentials["client_id"], "PLAID-SECRET": credentials["client_secret"],
               "Content-Type": "application/json"}  # fmt: skip
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/v1/plaid", timeout=60) as http:
        started, decoding, added, cursor = time.perf_counter(), 0.0, 0, None
        while True:
            body: dict[str, Any] = {"access_token": link.access_token, "count": 500}
            if cursor is not None:
                body["cursor"] = cursor
            answer = await http.post("/transactions/sync", content=orjson.dumps(body), headers=headers)
            decode_started = time.perf_counter()
            page = orjson.loads(answer.content)
            decoding += time.perf_counter() - decode_started
            added += len(page["added"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return time.perf_counter() - started, decoding, added


async def measure(
    port: int, baseline_port: int, link: Link, expected: int, args: argparse.Namespace, unread_port: int
) -> dict[str, Any]:
    await wait_ready(baseline_port, "/pages/plaid")
    pages = await pages_of(port, link)
    for page in pages:
        await check_page(port, page, link)
    rates: dict[str, dict[str, list[float]]] = {p.name: {"gateway": [], "baseline": []} for p in pages}
    for _ in range(args.rounds):  # interleaved, so drift in machine load hits both alike
        for page in pages:
            baseline = Request("GET", f"/pages/{page.baseline}")
            both = rates[page.name]
            both["baseline"].append(
                await throughput(baseline_port, baseline, seconds=args.seconds, connections=8)
            )
            both["gateway"].append(await throughput(port, page.ours, seconds=args.seconds, connections=8))
    await wait_ready(unread_port, "/healthz")
    pulls, unread = [], []
    for _ in range(args.pulls):  # alternated, as the pages are
        pulls.append(await full_sync(port, link))
        unread.append(await full_sync(unread_port, link))
    assert all(count == expected for _, _, count in pulls + unread), (pulls, unread)
    return {
        "pages": {name: {k: statistics.median(v) for k, v in both.items()} for name, both in rates.items()},
        "pulls": [(seconds, decoding) for seconds, decoding, _ in pulls],
        "unread_pulls": [(seconds, decoding) for seconds, decoding, _ in unread],
    }


async def built_link(port: int, database_url: str, credentials: dict[str, str]) -> Link:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/v1/moneykit", timeout=120) as http:
        await wait_ready(port, "/healthz")
        auth = await token_for(http, credentials) | {"content-type": "application/json"}
        link_id = await build_page_link(http, auth)
    access_token = await plaid_item(database_url, link_id, credentials["app_id"])
    await settle(database_url)
    return Link(database_url, credentials, link_id, access_token)


def dataset_link(manifest: Path) -> Link:
    """The first 50,000-transaction link of a `bench.scale_dataset` manifest."""
    data = json.loads(manifest.read_text())
    link_id, app_index, _, access_token, _ = data["links"][data["page_links"][0]]
    app = data["apps"][app_index]
    credentials = {
        "app_id": app["app_id"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    return Link(data["database_url"], credentials, link_id, access_token)


def run(args: argparse.Namespace, database_url: str | None) -> dict[str, Any]:
    port, baseline_port = free_port(), free_port()
    if args.dataset is not None:
        link = dataset_link(args.dataset)
        env = gateway_env(link.database_url)
    else:
        assert database_url is not None
        env = gateway_env(database_url)
        credentials = bootstrap(env)
    unread_port = free_port()
    processes = [
        start([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)], env),
        start(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(unread_port)],
            env | {"LINKGATE_READ_AHEAD_PAGES": "0"},
        ),
    ]
    try:
        if args.dataset is None:
            link = asyncio.run(built_link(port, env["LINKGATE_DATABASE_URL"], credentials))
        else:
            asyncio.run(wait_ready(port, "/healthz"))
        baseline_env = env | {
            "BENCH_DATABASE_URL": link.database_url,
            "BENCH_APP_ID": link.credentials["app_id"],
            "BENCH_LINK_ID": link.link_id,
        }
        processes.append(start(baseline_command(baseline_port), baseline_env))
        return asyncio.run(measure(port, baseline_port, link, PAGE_LINK_SIZE, args, unread_port))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    rows: list[tuple[str, str, str]] = []
    for name, rates in result["pages"].items():
        ratio = rates["gateway"] / rates["baseline"]
        verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
        rows.append((f"{name}, 100 of 50,000",
                     f"{rates['gateway']:,.0f} req/s against {rates['baseline']:,.0f} (ratio {ratio:.2f})",
                     f"at least {GOAL_RATIO}: {verdict}"))  # fmt: skip
    pulls = sorted(result["pulls"])
    pull, decoding = statistics.median(s for s, _ in pulls), statistics.median(d for _, d in pulls)
    rows.append((f"full /transactions/sync pull of 50,000 (count 500), median of {args.pulls}",
                 f"{pull:.2f} s (max {pulls[-1][0]:.2f} s): client decoding {decoding:.2f} s, gateway and "
                 f"loopback HTTP {pull - decoding:.2f} s", f"at most {GOAL_PULL_S} s: "
                 f"{'met' if pull <= GOAL_PULL_S else 'NOT met'}"))  # fmt: skip
    unread = sorted(result["unread_pulls"])
    unread_pull = statistics.median(s for s, _ in unread)
    unread_decoding = statistics.median(d for _, d in unread)
    rows.append(("the same pull from a process that does not read ahead (`LINKGATE_READ_AHEAD_PAGES=0`)",
                 f"{unread_pull:.2f} s (max {unread[-1][0]:.2f} s): client decoding {unread_decoding:.2f} s, "
                 f"gateway and loopback HTTP {unread_pull - unread_decoding:.2f} s",
                 "in-run comparison"))  # fmt: skip
    where = f"the dataset of `{args.dataset.name}`" if args.dataset else "a scratch database"
    command = (f"python -m bench.transaction_pages --seconds {args.seconds} --rounds {args.rounds} "
               f"--pulls {args.pulls}" + (f" --dataset {args.dataset}" if args.dataset else ""))  # fmt: skip
    return "\n".join([
        f"## {TITLE}" + (" on the 10-million dataset" if args.dataset else ""),
        "",
        f"`{command}` on {platform.machine()} Python {platform.python_version()}, PostgreSQL on this machine "
        f"({where}), one uvicorn process per server, load from {generator_name()} with 8 connections.",
        "",
        *results_table(rows),
        "",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Transaction pages in every format, and the Plaid sync pull."
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pulls", type=int, default=5)
    parser.add_argument("--dataset", type=Path, default=None, help="a manifest from bench.scale_dataset")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.dataset is not None:
        result = run(args, None)
    else:
        with scratch_database() as database_url:
            result = run(args, database_url)
    text = report(result, args)
    print(text)
    if args.write:
        write_section(TITLE + (" on the 10-million dataset" if args.dataset else ""), text)


if __name__ == "__main__":
    main()
