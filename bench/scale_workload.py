"""Linkgate at scale, on a dataset from `bench/scale_dataset.py`: a mixed workload, the page goals, and
how far more processes take it.

1. Mixed workload: API processes (`linkgate serve --workers N`: uvicorn's processes share one listening
   socket, so the kernel spreads connections over them), worker processes (`linkgate worker`) that run
   the refreshes and deliver the webhooks they cause to a loopback receiver, and one `wrk` per operation
   (a Lua script cycling through requests on random links of the manifest), 200 connections in all:
   MoneyKit token issuance, link reads and transaction pages, Plaid `/transactions/get`,
   `/transactions/sync` and `/transactions/refresh`. Per operation p50/p99 and errors (any non-2xx,
   socket error or timeout), throughput; per process RSS and CPU; webhook deliveries completed.
2. Pages (`--pages`): the Plaid and MoneyKit page benchmarks and the full sync pull on a 50,000-transaction
   link of the big dataset, one API process against the minimal baseline app, as in `bench/plaid_reads.py`.
3. Scale-out (`--scale-out`): Plaid `/transactions/get` (count 100) with 1, 2 and 4 API processes, and
   webhook deliveries a second with 1 and 2 worker processes.

    .venv/bin/python -m bench.scale_workload [--manifest /tmp/linkgate_scale_manifest.json] [--seconds 60]
        [--mixed] [--pages] [--scale-out] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis

from bench.asgi import write_section
from bench.auth_overhead import free_port
from bench.moneykit_reads import wait_ready
from bench.postgres import ROOT, gateway_env
from bench.scale_dataset import MANIFEST
from bench.webhook_delivery import wait_http

REDIS_URL = "redis://127.0.0.1:6379/13"
LOGS = Path("/tmp/linkgate_scale_logs")
WINDOW = {"start_date": "2000-01-01", "end_date": "2100-01-01"}
SAMPLE = 2000  # requests each wrk cycles through, on as many random links
SCALE_TITLE = "Scale: 10 million transactions"
SCALE_OUT_TITLE = "Scaling out"


Request = tuple[str, str, dict[str, str], str]  # method, path, headers, body


@dataclass(frozen=True)
class Operation:
    name: str
    connections: int
    requests: list[Request]


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class Manifest:
    """What `bench.scale_dataset` wrote: apps with credentials, links with their access tokens."""

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.data = data
        self.database_url: str = data["database_url"]
        self.apps: list[dict[str, Any]] = data["apps"]
        self.links: list[list[Any]] = data["links"]  # link id, app index, size, access token, user id
        self.page_links: list[int] = data["page_links"]
        self.webhook_url: str = data["webhook_url"]
        self.database_name = self.database_url.rsplit("/", 1)[1]

    def plaid_headers(self, app: int) -> dict[str, str]:
        credentials = self.apps[app]
        return {"PLAID-CLIENT-ID": credentials["client_id"], "PLAID-SECRET": credentials["client_secret"],
                "Content-Type": "application/json"}  # fmt: skip


def server_env(database_url: str) -> dict[str, str]:
    """Distributed mode on Redis DB 13; refresh limits high enough never to refuse the load's requests."""
    return gateway_env(
        database_url,
        LINKGATE_REDIS_URL=REDIS_URL,
        LINKGATE_SANDBOX_REFRESHES_PER_DAY=str(10**9),
        LINKGATE_WEBHOOK_ENDPOINT_CONCURRENCY="8",
    )


def start_logged(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`command` started from the checkout, its output in LOGS (warnings and errors only, by the env)."""
    LOGS.mkdir(exist_ok=True)
    name = "-".join(part.replace("/", "_") for part in command[2:5])
    with (LOGS / f"{time.strftime('%H%M%S')}-{name}.log").open("ab") as log:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


@contextmanager
def running(commands: Sequence[list[str]], env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [start_logged(command, env) for command in commands]
    try:
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def api_command(port: int, processes: int) -> list[str]:
    return [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--workers", str(processes)]


def worker_command(threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gateway.cli",
        "worker",
        "--concurrency",
        str(threads),
        "--loglevel",
        "WARNING",
    ]


def receiver_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench.receiver_app:app", "--port", str(port), "--log-level",
            "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"]  # fmt: skip


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's supervisor starts the API processes as children)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += process_tree(int(child))
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) in KiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / 100  # utime + stime, in clock ticks of 1/100 s


async def quiet(*, busy: float = 0.3, window_s: float = 3.0, timeout_s: float = 300.0) -> None:
    """Wait (up to `timeout_s`) until the machine's CPU is less than `busy` used over `window_s`: other
    work on this machine would be measured as ours."""
    waited = time.perf_counter()
    while time.perf_counter() - waited < timeout_s:
        before = machine_busy()
        await asyncio.sleep(window_s)
        after = machine_busy()
        used = (after[0] - before[0]) / (after[1] - before[1])
        if used < busy:
            break
    print(f"quiet after {time.perf_counter() - waited:.0f} s ({used:.0%} busy)", flush=True)


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the wrk processes, once awaited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


LUA = """
local raw = {}
local n, i = 0, 0
local threads = {}
bad, first = 0, ""
setup = function(thread) threads[#threads + 1] = thread end
init = function(args)
  for _, r in ipairs(REQUESTS) do raw[#raw + 1] = wrk.format(r[1], r[2], r[3], r[4]) end
  n = #raw
end
request = function()
  i = i % n + 1
  return raw[i]
end
response = function(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first == "" then first = status .. " " .. string.gsub(string.sub(body, 1, 300), "%s+", " ") end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local t = threads[1]
  io.write(string.format(
    "RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    t:get("bad") + e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
  io.write(string.format("ERRORS non-2xx %d, connect %d, read %d, write %d, timeout %d; first: %s\\n",
    t:get("bad"), e.connect, e.read, e.write, e.timeout, t:get("first")))
end
"""


def lua_script(requests: Sequence[Request]) -> str:
    def entry(method: str, path: str, headers: dict[str, str], body: str) -> str:
        fields = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        return f"{{{json.dumps(method)}, {json.dumps(path)}, {{{fields}}}, {json.dumps(body)}}}"

    return "REQUESTS = {\n" + ",\n".join(entry(*r) for r in requests) + "\n}\n" + LUA


async def run_wrk(port: int, operation: Operation, seconds: float, workdir: Path) -> WrkResult:
    script = workdir / f"{operation.name.replace(' ', '_').replace('/', '_')}.lua"
    script.write_text(lua_script(operation.requests))
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{operation.connections}", f"-d{round(seconds)}s", "--timeout", "60s", "-s",
        str(script), f"http://127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = (await process.communicate())[0].decode()
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk for {operation.name} failed:\n{output}")
    requests, duration_us, errors, p50, p99 = (int(v) for v in lines[0].split()[1:])
    if errors:
        print(f"{operation.name}: " + next(line for line in output.splitlines() if line.startswith("ERRORS")))
    return WrkResult(requests, duration_us / 1e6, errors, p50 / 1000, p99 / 1000)


async def app_tokens(port: int, manifest: Manifest) -> list[str]:
    """A MoneyKit token per app, issued before the load (apps keep theirs for an hour)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/v1/moneykit", timeout=30) as http:
        tokens = []
        for app in manifest.apps:
            form = {"grant_type": "client_credentials", "client_id": app["client_id"],
                    "client_secret": app["client_secret"]}  # fmt: skip
            response = await http.post("/auth/token", data=form)
            response.raise_for_status()
            tokens.append(response.json()["access_token"])
    return tokens


def mixed_operations(manifest: Manifest, tokens: Sequence[str], rng: random.Random) -> list[Operation]:
    """The operations of the mixed workload, 200 connections in all, each on random links."""

    page = {manifest.links[n][0] for n in manifest.page_links}
    refreshable = [link for link in manifest.links if link[0] not in page]  # the page links stay 50,000

    def links(among: Sequence[list[Any]] = manifest.links) -> list[list[Any]]:
        return [rng.choice(among) for _ in range(SAMPLE)]

    def bearer(app: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[app]}"}

    def plaid(path: str, body: dict[str, Any], among: Sequence[list[Any]] = manifest.links) -> list[Request]:
        return [("POST", f"/v1/plaid{path}", manifest.plaid_headers(link[1]),
                 json.dumps({"access_token": link[3], **body})) for link in links(among)]  # fmt: skip

    form = "grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}"
    issuance = [("POST", "/v1/moneykit/auth/token", {"Content-Type": "application/x-www-form-urlencoded"},
                 form.format(**app)) for app in manifest.apps]  # fmt: skip
    return [
        Operation("token issuance (MoneyKit)", 20, issuance),
        Operation("link read (MoneyKit)", 40,
                  [("GET", f"/v1/moneykit/links/{link[0]}", bearer(link[1]), "") for link in links()]),
        Operation("transaction page, size 100 (MoneyKit)", 30,
                  [("GET", f"/v1/moneykit/links/{link[0]}/transactions?size=100&start_date=2000-01-01",
                    bearer(link[1]), "") for link in links()]),
        Operation("/transactions/get, count 100 (Plaid)", 40,
                  plaid("/transactions/get", {**WINDOW, "options": {"count": 100}})),
        Operation("/transactions/sync, count 100 (Plaid)", 40, plaid("/transactions/sync", {"count": 100})),
        Operation("/transactions/refresh (Plaid)", 30, plaid("/transactions/refresh", {}, refreshable)),
    ]  # fmt: skip


async def delivery_counts(connection: asyncpg.Connection) -> dict[str, int]:
    rows = await connection.fetch("SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status")
    jobs = await connection.fetch("SELECT status, count(*) AS n FROM refresh_jobs GROUP BY status")
    return {f"deliveries {r['status']}": r["n"] for r in rows} | {
        f"refreshes {r['status']}": r["n"] for r in jobs
    }


async def drained(connection: asyncpg.Connection, timeout_s: float) -> float:
    """Seconds until no refresh or delivery is left to do (or `timeout_s`)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        left = await connection.fetchval(
            "SELECT (SELECT count(*) FROM refresh_jobs WHERE status NOT IN ('succeeded', 'failed'))"
            " + (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')"
        )
        if left == 0:
            break
        await asyncio.sleep(0.5)
    return time.perf_counter() - started


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def backends(database: str) -> list[int]:
    """PostgreSQL's processes serving `database` (their title names it)."""
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    return [
        pid
        for pid in pids
        if command_line(pid).startswith("postgres: ") and f" {database} " in command_line(pid)
    ]


class Usage:
    """CPU seconds and memory of process trees, and of PostgreSQL's backends of one database, between
    `start()` and `stop()`."""

    def __init__(self, roles: dict[str, subprocess.Popen[bytes]], database: str) -> None:
        self.roles = roles
        self.database = database
        self.cpu: dict[int, float] = {}
        self.machine = (0.0, 0.0)

    def processes(self) -> list[tuple[str, int]]:
        found = []
        for role, process in self.roles.items():
            tree = process_tree(process.pid)
            if len(tree) > 1:  # uvicorn's supervisor and multiprocessing's tracker only watch
                tree = [pid for pid in tree if "spawn_main" in command_line(pid)]
            found += [(role, pid) for pid in tree]
        return found

    def start(self) -> None:
        self.cpu = {pid: cpu_seconds(pid) for _, pid in self.processes()}
        self.cpu |= {pid: cpu_seconds(pid) for pid in backends(self.database)}
        self.machine = machine_busy()

    def stop(self, seconds: float) -> dict[str, Any]:
        busy, total = machine_busy()
        rows = []
        for role, pid in self.processes():
            rss, peak = memory_kib(pid)
            cpu = (cpu_seconds(pid) - self.cpu.get(pid, 0.0)) / seconds
            rows.append(
                {"role": role, "pid": pid, "rss_mib": rss / 1024, "peak_mib": peak / 1024, "cpu": cpu}
            )
        postgres = backends(self.database)
        postgres_cpu = sum(cpu_seconds(pid) - self.cpu.get(pid, 0.0) for pid in postgres) / seconds
        return {"processes": rows, "machine_busy": (busy - self.machine[0]) / (total - self.machine[1]),
                "postgres_cpu": postgres_cpu, "postgres_backends": len(postgres),
                "load_average": Path("/proc/loadavg").read_text().split()[:3]}  # fmt: skip


async def mixed(manifest: Manifest, args: argparse.Namespace) -> dict[str, Any]:
    """The mixed workload against `args.api` API processes and `args.workers` worker processes."""
    env = server_env(manifest.database_url)
    port, receiver_port = free_port(), int(manifest.webhook_url.split(":")[2].split("/")[0])
    roles = {
        "receiver": receiver_command(receiver_port),
        f"API ({args.api} processes)": api_command(port, args.api),
    }
    roles |= {f"worker {n + 1}": worker_command(args.worker_threads) for n in range(args.workers)}
    connection = await asyncpg.connect(manifest.database_url)
    with running(list(roles.values()), env) as processes, tempfile.TemporaryDirectory() as workdir:
        await wait_ready(port, "/healthz")
        await wait_http(manifest.webhook_url)
        tokens = await app_tokens(port, manifest)
        operations = mixed_operations(manifest, tokens, random.Random(args.seed))
        usage = Usage(dict(zip(roles, processes, strict=True)), manifest.database_name)
        before = await delivery_counts(connection)
        await quiet()
        usage.start()
        generator = children_cpu()
        results = await asyncio.gather(*(run_wrk(port, op, args.seconds, Path(workdir)) for op in operations))
        used = usage.stop(args.seconds) | {"generator_cpu": (children_cpu() - generator) / args.seconds}
        during = await delivery_counts(connection)
        drain = await drained(connection, args.drain)
        after = await delivery_counts(connection)
    await connection.close()
    return {
        "operations": {op.name: (op.connections, r) for op, r in zip(operations, results, strict=True)},
        "usage": used, "before": before, "during": during, "after": after, "drain_s": drain,
    }  # fmt: skip


async def pages(manifest: Manifest, args: argparse.Namespace) -> dict[str, Any]:
    """The page benchmarks of `bench/plaid_reads.py` and `bench/moneykit_reads.py` on a page link of the
    big dataset: one API process and the baseline app, wrk with 8 connections, rounds interleaved."""
    from bench.moneykit_reads import baseline_command, measure_pages
    from bench.plaid_reads import measure

    link_id, app, _, access_token, _ = manifest.links[manifest.page_links[0]]
    port, baseline_port = free_port(), free_port()
    env = server_env(manifest.database_url)
    baseline_env = env | {"BENCH_DATABASE_URL": manifest.database_url,
                          "BENCH_APP_ID": manifest.apps[app]["app_id"], "BENCH_LINK_ID": link_id}  # fmt: skip
    with running([api_command(port, 1)], env), running([baseline_command(baseline_port)], baseline_env):
        await wait_ready(port, "/healthz")
        token = (await app_tokens(port, manifest))[app]
        headers = {k: v for k, v in manifest.plaid_headers(app).items() if k != "Content-Type"}
        await quiet()
        plaid = await measure(port, baseline_port, headers, access_token, args)
        moneykit = await measure_pages(port, baseline_port, link_id, f"Bearer {token}", args)
    return {"plaid": plaid, "moneykit": moneykit}


async def read_scale_out(manifest: Manifest, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Plaid `/transactions/get` (count 100) with 1, 2 and 4 API processes: on random links of the
    dataset, and on its 50,000-transaction links."""
    env = server_env(manifest.database_url)
    rng = random.Random(args.seed)
    big = [manifest.links[n] for n in manifest.page_links]
    samples = {
        "random links": [rng.choice(manifest.links) for _ in range(SAMPLE)],
        "50,000-transaction links": big,
    }
    rows = []
    for processes in (1, 2, 4):
        port = free_port()
        with running([api_command(port, processes)], env) as (api,), tempfile.TemporaryDirectory() as workdir:
            await wait_ready(port, "/healthz")
            usage = Usage({"API": api}, manifest.database_name)
            for label, links in samples.items():
                requests = [("POST", "/v1/plaid/transactions/get", manifest.plaid_headers(link[1]),
                             json.dumps({"access_token": link[3], **WINDOW, "options": {"count": 100}}))
                            for link in links]  # fmt: skip
                operation = Operation(label, args.scale_connections, requests)
                await run_wrk(port, Operation("warm", 8, requests), 2, Path(workdir))
                await quiet()
                usage.start()
                generator = children_cpu()
                result = await run_wrk(port, operation, args.scale_seconds, Path(workdir))
                used = usage.stop(args.scale_seconds)
                used["generator_cpu"] = (children_cpu() - generator) / args.scale_seconds
                rows.append({"processes": processes, "links": label, "result": result, "usage": used})
                rate, p99 = result.rate, result.p99_ms
                print(f"{processes} API processes, {label}: {rate:,.0f} req/s, p99 {p99:.0f} ms", flush=True)
    return rows


async def delivery_scale_out(manifest: Manifest, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Deliveries a second of 1 and 2 worker processes (one thread each, as `bench/webhook_delivery.py`),
    from the first attempt's start to the last one's end, `args.deliveries` committed at once."""
    from bench.webhook_delivery import BODY, CONCURRENCY, all_succeeded, create

    env = server_env(manifest.database_url)
    os.environ.update(env)
    from gateway.db import Database
    from gateway.settings import get_settings
    from workers.enqueue import send_task_request

    get_settings.cache_clear()
    database = Database.from_settings(get_settings(), task_sender=send_task_request)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    app_id = uuid.UUID(manifest.apps[0]["app_id"])
    connection = await asyncpg.connect(manifest.database_url)
    rows = []
    try:
        for workers in (1, 2):
            commands = [receiver_command(port), *(worker_command(1) for _ in range(workers))]
            with running(commands, env) as processes:
                await wait_http(url)
                link = uuid.uuid4()
                warm = await create(database, app_id, url, [BODY % (link, n) for n in range(CONCURRENCY * 8)])
                await all_succeeded(connection, warm)
                await quiet()
                roles = {"receiver": processes[0]} | {
                    f"worker {n + 1}": p for n, p in enumerate(processes[1:])
                }
                usage = Usage(roles, manifest.database_name)
                usage.start()
                clock = time.perf_counter()
                ids = await create(database, app_id, url, [BODY % (link, n) for n in range(args.deliveries)])
                await all_succeeded(connection, ids)
                used = usage.stop(time.perf_counter() - clock)
                first, last = await connection.fetchrow(
                    "SELECT extract(epoch FROM min(started_at)), "
                    "extract(epoch FROM max(started_at + duration_ms * interval '1 millisecond')) "
                    "FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[])",
                    ids,
                )
                rate = len(ids) / float(last - first)
                rows.append({"workers": workers, "rate": rate, "usage": used})
                print(f"{workers} worker processes: {rate:,.0f} deliveries/s", flush=True)
    finally:
        await connection.close()
        await database.dispose()
    return rows


RESULTS_FILE = Path("/tmp/linkgate_scale_results.json")


def to_json(value: Any) -> Any:
    if isinstance(value, WrkResult):
        return {"requests": value.requests, "seconds": value.seconds, "errors": value.errors,
                "p50_ms": value.p50_ms, "p99_ms": value.p99_ms}  # fmt: skip
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def wrk_result(value: dict[str, Any]) -> WrkResult:
    return WrkResult(**value)


def machine() -> str:
    return f"{platform.machine()} ({os.cpu_count()} cores) Python {platform.python_version()}"


def process_rows(usage: dict[str, Any]) -> list[str]:
    rows = ["| process | RSS at the end | peak RSS | CPU (cores) |", "| --- | --- | --- | --- |"]
    rows += [f"| {p['role']} (pid {p['pid']}) | {p['rss_mib']:.0f} MiB | {p['peak_mib']:.0f} MiB "
             f"| {p['cpu']:.2f} |"
             for p in usage["processes"]]  # fmt: skip
    rows.append(
        f"| PostgreSQL ({usage['postgres_backends']} backends of this database) | - | - "
        f"| {usage['postgres_cpu']:.2f} |"
    )
    ours = sum(p["cpu"] for p in usage["processes"]) + usage["postgres_cpu"]
    if "generator_cpu" in usage:
        rows.append(f"| load generator (one wrk per operation) | - | - | {usage['generator_cpu']:.2f} |")
        ours += usage["generator_cpu"]
    others = usage["machine_busy"] * (os.cpu_count() or 1) - ours
    rows.append(f"| everything else on the machine (Redis, other work) | - | - | {max(others, 0):.2f} |")
    return rows


def dataset_lines(data: dict[str, Any]) -> list[str]:
    sizes = data["sizes"]
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in data["phases"].items())
    per_row, counts = sizes["total"] / data["transactions"], sizes.get("day_counts", 0)
    return [
        f"Dataset: `python -m bench.scale_dataset --transactions {data['transactions']} "
        f"--links {len(data['links'])}"
        f" --apps {len(data['apps'])}` ({len({link[4] for link in data['links']}):,} end users) built in "
        f"**{data['build_s'] / 60:.1f} minutes** ({phases}). The transactions table holds "
        f"{sizes['heap'] / 2**30:.2f} GiB of rows and {sizes['indexes'] / 2**30:.2f} GiB of indexes: "
        f"**{per_row:.0f} bytes a transaction** all told (16 hash partitions); `transaction_day_counts` "
        f"{counts / 2**30:.2f} GiB ({counts / data['transactions']:.0f} bytes a transaction here: small "
        f"links' transactions fall on different days); the database {sizes['database'] / 2**30:.2f} GiB "
        f"({sizes['database'] / data['transactions']:.0f} bytes a transaction).",
    ]


def mixed_report(result: dict[str, Any], args: argparse.Namespace) -> list[str]:
    operations = {name: (c, wrk_result(r)) for name, (c, r) in result["operations"].items()}
    total = sum(r.rate for _, r in operations.values())
    errors = sum(r.errors for _, r in operations.values())
    rows = [
        "| operation | connections | requests/s | p50 | p99 | errors |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rows += [f"| {name} | {c} | {r.rate:,.1f} | {r.p50_ms:,.0f} ms | {r.p99_ms:,.0f} ms | {r.errors} |"
             for name, (c, r) in operations.items()]  # fmt: skip
    rows.append(f"| all | {sum(c for c, _ in operations.values())} | {total:,.1f} | | | {errors} |")
    during, after = result["during"], result["after"]
    before_ok = result["before"].get("deliveries succeeded", 0)
    delivered = during.get("deliveries succeeded", 0) - before_ok

    def refreshed(counts: dict[str, int]) -> int:
        return int(counts.get("refreshes succeeded", 0) - result["before"].get("refreshes succeeded", 0))

    return [
        f"`python -m bench.scale_workload --mixed --seconds {args.seconds:.0f}` on {machine()}: "
        f"`linkgate serve --workers {args.api}` (API processes sharing one socket), {args.workers} "
        f"`linkgate worker --concurrency {args.worker_threads}` processes, a loopback webhook receiver "
        "(every other app has a webhook), PostgreSQL and Redis on this machine; one wrk per operation, "
        "each cycling through requests on random links of the dataset.",
        "",
        *rows,
        "",
        f"- errors (any non-2xx, socket error or timeout): {errors} "
        f"(goal 0: {'met' if errors == 0 else 'NOT met'})",
        f"- machine CPU busy during the run: {result['usage']['machine_busy']:.0%} of both cores "
        f"(load average at the end {' '.join(result['usage']['load_average'])})",
        f"- refresh jobs: {refreshed(after):,} done ({refreshed(during):,} within the "
        f"{args.seconds:.0f} s); webhook deliveries: {delivered:,} succeeded within the run "
        f"({delivered / args.seconds:,.1f}/s), {after.get('deliveries succeeded', 0) - before_ok:,} once "
        f"the queue "
        f"drained {result['drain_s']:.0f} s later; {after.get('deliveries failed', 0)} failed",
        "",
        *process_rows(result["usage"]),
        "",
    ]  # fmt: skip


def pages_report(result: dict[str, Any], args: argparse.Namespace) -> list[str]:
    plaid, moneykit = result["plaid"], result["moneykit"]
    ratios = {
        "plaid": plaid["gateway"] / plaid["baseline"],
        "moneykit": moneykit["gateway"] / moneykit["baseline"],
    }
    pull = sorted(plaid["pulls"])[len(plaid["pulls"]) // 2]

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    return [
        f"Page goals on a 50,000-transaction link of this dataset (`--pages`: `bench/plaid_reads.py` and "
        f"`bench/moneykit_reads.py`'s measures, one API process against the minimal baseline app, wrk with 8 "
        f"connections, median of {args.rounds} interleaved rounds of {args.seconds_pages:.0f} s):",
        "",
        "| measure | gateway | baseline | ratio | goal |",
        "| --- | --- | --- | --- | --- |",
        f"| Plaid /transactions/get, count 100 of 50,000 | {plaid['gateway']:,.0f} req/s "
        f"| {plaid['baseline']:,.0f} req/s"
        f" | {ratios['plaid']:.3f} | at least 0.70: {met(ratios['plaid'] >= 0.7)} |",
        f"| MoneyKit page of 100 (last 90 days) | {moneykit['gateway']:,.0f} req/s "
        f"| {moneykit['baseline']:,.0f} req/s"
        f" | {ratios['moneykit']:.3f} | at least 0.70: {met(ratios['moneykit'] >= 0.7)} |",
        f"| full /transactions/sync pull of 50,000 (count 500), median of {len(plaid['pulls'])} "
        f"| {pull:.2f} s | - | - "
        f"| under 2 s: {met(pull < 2)} |",
        "",
    ]  # fmt: skip


def scale_out_report(
    reads: list[dict[str, Any]], deliveries: list[dict[str, Any]], args: argparse.Namespace
) -> str:
    cores = os.cpu_count() or 1
    rows = [
        "| API processes | links | requests/s | per process | p99 "
        "| CPU (cores): API / PostgreSQL / wrk / other |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in reads:
        result, usage = wrk_result(row["result"]), row["usage"]
        api = sum(p["cpu"] for p in usage["processes"])
        other = usage["machine_busy"] * cores - api - usage["postgres_cpu"] - usage["generator_cpu"]
        per_process = result.rate / row["processes"]
        rows.append(f"| {row['processes']} | {row['links']} | {result.rate:,.0f} | {per_process:,.0f}"
                    f" | {result.p99_ms:,.0f} ms | {api:.2f} / {usage['postgres_cpu']:.2f} / "
                    f"{usage['generator_cpu']:.2f} / {max(other, 0):.2f} |")  # fmt: skip
    rows += ["", "| worker processes | deliveries/s | per process "
             "| CPU (cores): workers / receiver / PostgreSQL / other |",
             "| --- | --- | --- | --- |"]  # fmt: skip
    for row in deliveries:
        usage = row["usage"]
        workers = sum(p["cpu"] for p in usage["processes"] if p["role"].startswith("worker"))
        receiver = sum(p["cpu"] for p in usage["processes"] if p["role"] == "receiver")
        other = usage["machine_busy"] * cores - workers - receiver - usage["postgres_cpu"]
        rows.append(f"| {row['workers']} | {row['rate']:,.0f} | {row['rate'] / row['workers']:,.0f} "
                    f"| {workers:.2f} / {receiver:.2f} / {usage['postgres_cpu']:.2f} / "
                    f"{max(other, 0):.2f} |")  # fmt: skip
    return "\n".join([
        f"## {SCALE_OUT_TITLE}",
        "",
        f"`python -m bench.scale_workload --scale-out --scale-seconds {args.scale_seconds:.0f} --deliveries "
        f"{args.deliveries}` on {machine()}, on the dataset above: Plaid `/transactions/get` (count 100, "
        "whole "
        f"window) from wrk with {args.scale_connections} connections against `linkgate serve --workers N`; "
        f"then {args.deliveries} webhook deliveries committed at once, delivered by 1 or 2 `linkgate worker "
        f"--concurrency 1` processes to one loopback receiver (8 in flight per endpoint).",
        "",
        *rows,
        "",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="Linkgate at scale: mixed workload, page goals, scale-out.")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--mixed", action="store_true")
    parser.add_argument("--pages", action="store_true")
    parser.add_argument("--scale-out", action="store_true")
    parser.add_argument("--seconds", type=float, default=60.0, help="of the mixed workload")
    parser.add_argument("--api", type=int, default=2, help="API processes of the mixed workload")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the mixed workload")
    parser.add_argument("--worker-threads", type=int, default=2)
    parser.add_argument(
        "--drain", type=float, default=180.0, help="seconds to wait for refreshes and webhooks"
    )
    parser.add_argument("--seconds-pages", dest="seconds_pages", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pulls", type=int, default=5)
    parser.add_argument("--scale-seconds", type=float, default=15.0)
    parser.add_argument("--scale-connections", type=int, default=32)
    parser.add_argument("--deliveries", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--write", action="store_true", help="write the sections of bench/RESULTS.md")
    parser.add_argument("--report", action="store_true", help=f"only report what {RESULTS_FILE} holds")
    args = parser.parse_args()
    if not (args.mixed or args.pages or args.scale_out or args.report):
        args.mixed = args.pages = args.scale_out = True
    manifest = Manifest(args.manifest)
    saved: dict[str, Any] = json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.exists() else {}
    if not args.report:
        redis.Redis.from_url(REDIS_URL).flushdb()
    if args.pages:
        page_args = argparse.Namespace(**vars(args) | {"seconds": args.seconds_pages})
        saved["pages"] = asyncio.run(pages(manifest, page_args))
    if args.mixed:
        saved["mixed"] = to_json(asyncio.run(mixed(manifest, args)))
    if args.scale_out:
        saved["reads"] = to_json(asyncio.run(read_scale_out(manifest, args)))
        saved["deliveries"] = asyncio.run(delivery_scale_out(manifest, args))
    if not args.report:
        saved["args"] = vars(args) | {"manifest": str(args.manifest)}
    RESULTS_FILE.write_text(json.dumps(saved))
    sections = []
    if "mixed" in saved and "pages" in saved:
        lines = [f"## {SCALE_TITLE}", "", *dataset_lines(manifest.data), "",
                 *mixed_report(saved["mixed"], args), *pages_report(saved["pages"], args)]  # fmt: skip
        sections.append((SCALE_TITLE, "\n".join(lines)))
    if "reads" in saved and "deliveries" in saved:
        sections.append((SCALE_OUT_TITLE, scale_out_report(saved["reads"], saved["deliveries"], args)))
    for title, text in sections:
        print(text)
        if args.write:
            write_section(title, text)


if __name__ == "__main__":
    main()
