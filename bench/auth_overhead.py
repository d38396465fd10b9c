"""What authentication costs, against the same endpoint without it, in one run.

- `GET /v1/developer/token` with a generic JWT (verify + principal load) vs the same handler
  unauthenticated, in the same router.
- `POST /oauth/token` (client credentials: HMAC check, ES256 signature) vs that unauthenticated GET.

Over real HTTP: a uvicorn process serves, a keep-alive load generator on the other core measures.
Goals (issue 3): auth costs at most 15% of unauthenticated throughput; issuance reaches at least 25%.

    .venv/bin/python -m bench.auth_overhead [--seconds 2] [--rounds 5] [--connections 8] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from bench.asgi import write_section
from bench.http_load import Request, generator_name, throughput
from bench.postgres import BENCH_RATE_LIMITS
from gateway.app import create_app
from gateway.collections.developer.endpoints import router as developer_router
from gateway.db import Database
from gateway.developers.schemas import TokenInfo
from gateway.developers.service import developer_service
from gateway.migrate import upgrade_to_head
from gateway.settings import Settings

TITLE = "Authentication overhead"
GOAL_AUTH_OVERHEAD = 0.15
GOAL_ISSUANCE_SHARE = 0.25


async def open_route() -> TokenInfo:
    """The token-introspection answer with no authentication: the baseline's handler."""
    return TokenInfo(
        kind="generic", app_id="00000000-0000-0000-0000-000000000000", client_id="0" * 24,
        mode="sandbox", scopes=["data:read", "links:write", "configure"], expires_at=2_000_000_000,
    )  # fmt: skip


def add_open_route(router: APIRouter) -> None:
    """Mount the baseline in the developer router itself, beside `/token`: FastAPI matches routes in
    order, router by router, so a route mounted after every other router pays for scanning them all
    (about 0.2 ms here) and would make authentication look free."""
    router.add_api_route(
        "/open", open_route, methods=["GET"], response_model=TokenInfo, response_model_exclude_none=True,
        route_class_override=APIRoute,
    )  # fmt: skip


def bench_app() -> FastAPI:
    """The app uvicorn serves for this benchmark: the gateway plus the unauthenticated baseline route."""
    add_open_route(developer_router)  # before create_app includes the router
    return create_app(Settings())


async def credentials(settings: Settings) -> tuple[str, str]:
    database = Database.from_settings(settings)
    try:
        async with database.unit_of_work() as session:
            boot = await developer_service.bootstrap(
                session, email="bench@example.com", master_key=settings.master_key()
            )
        return boot.client_id, boot.client_secret
    finally:
        await database.dispose()


def serve(workdir: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "bench.auth_overhead:bench_app", "--factory", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[1])


async def wait_ready(port: int) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the benchmark server did not start")


async def measure(
    port: int, settings: Settings, seconds: float, rounds: int, connections: int
) -> dict[str, float]:
    client_id, client_secret = await credentials(settings)
    await wait_ready(port)
    form = urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    )
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        token = (await http.post("/oauth/token", content=form, headers=form_headers)).json()["token"]
    requests = {
        "open": Request("GET", "/v1/developer/open"),
        "auth": Request("GET", "/v1/developer/token", {"Authorization": f"Bearer {token}"}),
        "issue": Request("POST", "/oauth/token", form_headers, form.encode()),
    }
    rates: dict[str, list[float]] = {name: [] for name in requests}
    for request in requests.values():  # warm-up
        await throughput(port, request, seconds=0.5, connections=connections)
    for _ in range(rounds):  # interleaved rounds: drift in machine load hits every case alike
        for name, request in requests.items():
            rates[name].append(await throughput(port, request, seconds=seconds, connections=connections))
    return {name: statistics.median(values) for name, values in rates.items()}


def report(rates: dict[str, float], seconds: float, rounds: int, connections: int) -> str:
    rows = [
        f"| {label} | {rates[name]:,.0f} | {1e6 / rates[name]:.0f} us | {rates[name] / rates['open']:.0%} |"
        for name, label in (
            ("open", "GET, no auth (baseline: same handler, same router)"),
            ("auth", "GET with a generic JWT"),
            ("issue", "POST /oauth/token (generic token)"),
        )
    ]
    auth_cost = 1 - rates["auth"] / rates["open"]
    issuance_share = rates["issue"] / rates["open"]
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"`python -m bench.auth_overhead --seconds {seconds} --rounds {rounds} "
            f"--connections {connections}` on {platform.machine()} Python {platform.python_version()}: "
            "one uvicorn process (uvloop, httptools, SQLite) on one core, the load generator "
            f"({generator_name()}) on the other, "
            f"{connections} keep-alive connections over loopback; median of {rounds} interleaved rounds "
            f"of {seconds} s per case.",
            "",
            "| request | requests/s | per request | of baseline |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
            f"- auth costs {auth_cost:.1%} of unauthenticated throughput (goal at most "
            f"{GOAL_AUTH_OVERHEAD:.0%}): {'met' if auth_cost <= GOAL_AUTH_OVERHEAD else 'NOT met'}",
            f"- issuance reaches {issuance_share:.0%} of unauthenticated throughput (goal at least "
            f"{GOAL_ISSUANCE_SHARE:.0%}): {'met' if issuance_share >= GOAL_ISSUANCE_SHARE else 'NOT met'}",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Authentication overhead against unauthenticated requests.")
    parser.add_argument("--seconds", type=float, default=2.0, help="load per case per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="record the result in bench/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        database_url = f"sqlite:///{Path(workdir)}/bench.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")}
        env |= {
            "LINKGATE_DATABASE_URL": database_url,
            "LINKGATE_SECRET_KEY": "b" * 48,
            "LINKGATE_LOG_LEVEL": "WARNING",
        } | BENCH_RATE_LIMITS
        settings = Settings(database_url=database_url, redis_url=None, secret_key="b" * 48)
        upgrade_to_head(database_url)
        port = free_port()
        server = serve(Path(workdir), port, env)
        try:
            rates = asyncio.run(measure(port, settings, args.seconds, args.rounds, args.connections))
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = report(rates, args.seconds, args.rounds, args.connections)
    print(text)
    if args.write:
        write_section(TITLE, text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
