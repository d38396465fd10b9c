"""What the gateway's request plumbing costs per request, against a bare FastAPI app in the same run.

Both apps serve the same `/healthz` route and a 404; requests are driven through the raw ASGI
interface in-process, so the numbers isolate the middleware (request ids, body limit, error
boundary) and error rendering from network and server costs.

    .venv/bin/python -m bench.middleware_overhead [--requests 20000] [--rounds 5] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel

from bench.asgi import RESULTS, drive, write_section
from gateway.app import create_app
from gateway.settings import Settings

SECTION = "## Middleware overhead"


class Health(BaseModel):
    status: Literal["ok"]


def baseline_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok")

    return app


async def measure(requests: int, rounds: int) -> list[tuple[str, float, float]]:
    gateway = create_app(Settings(database_url="sqlite:///:memory:"))
    baseline = baseline_app()
    rows = []
    for label, path in (("GET /healthz (200)", "/healthz"), ("GET unknown route (404)", "/nope")):
        await drive(gateway, path, 500)  # warm-up: route compilation, imports
        await drive(baseline, path, 500)
        gateway_runs, baseline_runs = [], []
        for _ in range(rounds):  # interleaved so drift in machine load hits both alike
            baseline_runs.append(await drive(baseline, path, requests))
            gateway_runs.append(await drive(gateway, path, requests))
        rows.append(
            (label, statistics.median(baseline_runs) / requests, statistics.median(gateway_runs) / requests)
        )
    return rows


def report(rows: list[tuple[str, float, float]], requests: int, rounds: int) -> str:
    lines = [
        SECTION,
        "",
        f"`python -m bench.middleware_overhead --requests {requests} --rounds {rounds}` on "
        f"{platform.machine()} Python {platform.python_version()}; median of {rounds} interleaved rounds.",
        "",
        "| request | bare FastAPI (baseline) | Linkgate | overhead |",
        "| --- | --- | --- | --- |",
    ]
    for label, base, ours in rows:
        lines.append(
            f"| {label} | {base * 1e6:.1f} us | {ours * 1e6:.1f} us | {(ours - base) * 1e6:+.1f} us |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"record the result in {RESULTS.name}")
    args = parser.parse_args()
    text = report(asyncio.run(measure(args.requests, args.rounds)), args.requests, args.rounds)
    print(text)
    if args.write:
        write_section(SECTION.removeprefix("## "), text)


if __name__ == "__main__":
    main()
