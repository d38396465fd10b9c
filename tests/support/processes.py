"""Start `linkgate` commands as real processes, wait for them, and stop or kill them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LinkgateProcess:
    """One `linkgate ...` process in its own process group (so its children die with it)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> None:
        self.args = args
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", *args],
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole group: no cleanup, no acks, as when a machine dies."""
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def wait_until(
    condition: Callable[[], bool], *, timeout_s: float, what: str, interval_s: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def wait_for_http(
    url: str, *, timeout_s: float = 30, status: int = 200, process: LinkgateProcess | None = None
) -> None:
    def answers() -> bool:
        if process is not None and process.process.poll() is not None:
            raise AssertionError(f"process exited early:\n{process.output()[-3000:]}")
        try:
            return httpx.get(url, timeout=2).status_code == status
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout_s=timeout_s, what=f"{url} to answer {status}")


@contextlib.contextmanager
def serving_linkgate(env: dict[str, str], cwd: Path, log: Path) -> Iterator[tuple[LinkgateProcess, str]]:
    """`linkgate serve` on a free loopback port until it is ready, with its base URL; stopped on exit."""
    port = free_port()
    server = LinkgateProcess(["serve", "--port", str(port)], env, cwd, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/readyz", process=server)
        yield server, base_url
    finally:
        server.stop()
