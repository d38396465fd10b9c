"""Driving an ASGI app in-process: no sockets, so the numbers are the application's own cost."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("RESULTS.md")

Asgi = Callable[..., Awaitable[None]]


async def drive(
    app: Asgi,
    path: str,
    requests: int,
    *,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> float:
    """Seconds for `requests` sequential requests; raises if any answer is not 2xx/404 as expected."""
    all_headers = [(b"host", b"bench"), *(headers or [])]
    if body:
        all_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": all_headers, "client": ("127.0.0.1", 1), "server": ("bench", 80),
    }  # fmt: skip
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    elapsed = time.perf_counter() - started
    if len(set(statuses)) != 1:
        raise RuntimeError(f"{method} {path} answered {sorted(set(statuses))}")
    return elapsed


def write_section(title: str, text: str) -> None:
    """Replace (or append) the `## title` section of RESULTS.md."""
    heading = f"## {title}"
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if heading in current:
        head, rest = current.split(heading, 1)
        tail = rest.split("\n## ", 1)
        current = head + text + ("\n## " + tail[1] if len(tail) == 2 else "")
    else:
        current = current.rstrip() + "\n\n" + text
    RESULTS.write_text(current)
