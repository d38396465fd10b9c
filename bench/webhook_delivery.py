"""Webhook delivery on Postgres and Redis: throughput of one worker process, and latency to a first attempt.

1. Throughput: N deliveries committed at once, delivered by one `linkgate worker` process to a local
   receiver, from the first attempt's start to the last one's end; against a bare httpx async loop
   posting the same bodies to the same receiver with as many requests in flight, in the same run.
   Goal: at least 0.5 of it.
2. Latency: single deliveries committed one after another; the time from the commit returning to the
   first attempt starting (`webhook_attempts.started_at`, same clock). Goal: median under 100 ms.

    .venv/bin/python -m bench.webhook_delivery [--deliveries 2000] [--samples 50] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx
import redis

from bench.asgi import write_section
from bench.auth_overhead import free_port
from bench.postgres import ROOT, gateway_env, results_table, scratch_database, start

TITLE = "Webhook delivery (Postgres, Redis, one worker process)"
REDIS_URL = "redis://127.0.0.1:6379/8"
CONCURRENCY = 8  # requests in flight: the bare loop's, and the worker's endpoint slots
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "1"))
BODY = '{"webhook_event": "transactions.updates_available", "link_id": "%s", "link_tags": [], "n": %d}'


async def wait_http(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                await http.post(url, content=b"{}")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


async def bare_loop(url: str, bodies: list[str]) -> float:
    """Deliveries per second of a plain httpx loop with the worker's concurrency."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def poster(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            headers = {"content-type": "application/json"}
            response = await http.post(url, content=body.encode(), headers=headers)
            assert response.status_code == 200

    clock = time.perf_counter()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as http:
        await asyncio.gather(*(poster(http) for _ in range(CONCURRENCY)))
    return len(bodies) / (time.perf_counter() - clock)


async def create(database: Any, app_id: uuid.UUID, url: str, bodies: list[str]) -> list[uuid.UUID]:
    from gateway.webhooks.service import webhook_service

    async with database.unit_of_work() as session:
        rows = [
            await webhook_service.create_delivery(
                session, app_id=app_id, url=url, body=body, format="moneykit"
            )
            for body in bodies
        ]
    return [row.id for row in rows]


async def count_succeeded(connection: asyncpg.Connection, ids: list[uuid.UUID]) -> int:
    value = await connection.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded' AND id = ANY($1::uuid[])", ids
    )
    return int(value)


async def all_succeeded(connection: asyncpg.Connection, ids: list[uuid.UUID]) -> None:
    while True:
        if await count_succeeded(connection, ids) == len(ids):
            return
        await asyncio.sleep(0.02)


async def measure(args: argparse.Namespace, database_url: str, env: dict[str, str]) -> dict[str, Any]:
    os.environ.update(env)
    from gateway.db import Database
    from gateway.settings import get_settings
    from workers.enqueue import send_task_request

    get_settings.cache_clear()
    settings = get_settings()
    database = Database.from_settings(settings, task_sender=send_task_request)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    receiver = start([sys.executable, "-m", "uvicorn", "bench.receiver_app:app", "--port", str(port),
                      "--log-level", "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"],
                     env)  # fmt: skip
    worker = start([sys.executable, "-m", "gateway.cli", "worker", "--concurrency", str(WORKER_THREADS)], env)
    connection = await asyncpg.connect(database_url)
    try:
        await wait_http(url)
        app_id = uuid.UUID(await connection.fetchval("SELECT id::text FROM apps LIMIT 1"))
        link = uuid.uuid4()
        # Warm up the worker (threads, pools, signing secret) before anything is timed.
        warm = await create(database, app_id, url, [BODY % (link, n) for n in range(CONCURRENCY * 4)])
        await all_succeeded(connection, warm)

        bodies = [BODY % (link, n) for n in range(args.deliveries)]
        baseline = await bare_loop(url, bodies)
        ids = await create(database, app_id, url, bodies)
        await all_succeeded(connection, ids)
        # From the first attempt's start to the last one's end, as recorded by the worker: the time spent
        # creating the deliveries belongs to whoever produced the events.
        first, last = await connection.fetchrow(
            "SELECT extract(epoch FROM min(started_at)), "
            "extract(epoch FROM max(started_at + duration_ms * interval '1 millisecond')) "
            "FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[])",
            ids,
        )
        worker_rate = len(ids) / float(last - first)

        latencies = []
        for n in range(args.samples):
            (one,) = await create(database, app_id, url, [BODY % (link, n)])
            committed = time.time()
            started = None
            while started is None:
                started = await connection.fetchval(
                    "SELECT extract(epoch FROM started_at) FROM webhook_attempts WHERE delivery_id = $1", one
                )
                if started is None:
                    await asyncio.sleep(0.002)
            latencies.append(float(started) - committed)
        return {"baseline": baseline, "worker": worker_rate, "latencies": latencies}
    finally:
        await connection.close()
        await database.dispose()
        for process in (worker, receiver):
            process.terminate()
            process.wait(timeout=30)


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    ratio = result["worker"] / result["baseline"]
    latencies = sorted(result["latencies"])
    median, p95 = statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))]
    rows = [
        (f"{args.deliveries} deliveries, one worker process ({WORKER_THREADS} threads, "
         f"{CONCURRENCY} in flight)",
         f"{result['worker']:,.0f} deliveries/s", "-"),
        (f"bare httpx async loop, {CONCURRENCY} concurrent posts of the same bodies",
         f"{result['baseline']:,.0f} posts/s", "-"),
        ("worker / bare loop", f"{ratio:.2f}", f"at least 0.50: {'met' if ratio >= 0.5 else 'NOT met'}"),
        (f"commit to first attempt, {args.samples} single deliveries",
         f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms",
         f"median under 100 ms: {'met' if median < 0.1 else 'NOT met'}"),
    ]  # fmt: skip
    command = f"python -m bench.webhook_delivery --deliveries {args.deliveries} --samples {args.samples}"
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"`{command}` on {platform.machine()} Python {platform.python_version()}, PostgreSQL and Redis "
            "on this machine, receiver: one uvicorn process answering 200.",
            "",
            *results_table(rows),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Webhook delivery throughput and latency.")
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    with scratch_database() as database_url:
        env = gateway_env(database_url, LINKGATE_WEBHOOK_ENDPOINT_CONCURRENCY=str(CONCURRENCY))
        for command in (["migrate"], ["bootstrap", "--json"]):
            subprocess.run([sys.executable, "-m", "gateway.cli", *command], env=env, cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
        result = asyncio.run(measure(args, database_url, env))
    text = report(result, args)
    print(text)
    if args.write:
        write_section(TITLE, text)


if __name__ == "__main__":
    main()
