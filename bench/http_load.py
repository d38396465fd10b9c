"""Load generators for benchmarks on this machine (loopback only, bounded in time).

`wrk` (Debian package `wrk`) is preferred: written in C, it leaves the server a whole core. Without
it a small asyncio keep-alive client is used, which is slower and noisier; reports name which ran.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def raw(self) -> bytes:
        lines = [
            f"{self.method} {self.path} HTTP/1.1",
            "Host: 127.0.0.1",
            f"Content-Length: {len(self.body)}",
        ]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def generator_name() -> str:
    return "wrk" if shutil.which("wrk") else "asyncio client"


async def throughput(port: int, request: Request, *, seconds: float, connections: int) -> float:
    """Requests per second; raises if any answer was not 2xx."""
    if shutil.which("wrk"):
        return await _wrk(port, request, seconds=seconds, connections=connections)
    return await _asyncio_client(port, request.raw(), seconds=seconds, connections=connections)


async def _wrk(port: int, request: Request, *, seconds: float, connections: int) -> float:
    script = "\n".join(
        [f'wrk.method = "{request.method}"', f"wrk.body = {_lua_string(request.body.decode())}"]
        + [f'wrk.headers["{name}"] = {_lua_string(value)}' for name, value in request.headers.items()]
    )
    with tempfile.TemporaryDirectory() as workdir:
        script_path = Path(workdir) / "request.lua"
        script_path.write_text(script)
        process = await asyncio.create_subprocess_exec(
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script_path),
            f"http://127.0.0.1:{port}{request.path}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output = (await process.communicate())[0].decode()
    if "Non-2xx or 3xx responses" in output or process.returncode != 0:
        raise RuntimeError(f"{request.method} {request.path} failed under load:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return float(match.group(1))


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def _read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return int(head[9:12])


async def _asyncio_client(port: int, raw: bytes, *, seconds: float, connections: int) -> float:
    done = [0]
    started = time.perf_counter()
    deadline = started + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                writer.write(raw)
                status = await _read_status(reader)
                if not 200 <= status < 300:
                    raise RuntimeError(f"answered {status} under load")
                done[0] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return done[0] / (time.perf_counter() - started)
