"""Run the fake Bridge with uvicorn on a loopback port in a background thread, for the length of a test."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from tests.fakes.simplefin.app import DEFAULT_ROOT_PATH, build_bridge_app
from tests.fakes.simplefin.state import BridgeState
from tests.support.processes import wait_until

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RunningBridge:
    """A serving fake Bridge: script it through `state`; clients start from `root_url` or a setup token."""

    state: BridgeState
    root_url: str
    """e.g. `http://127.0.0.1:PORT/simplefin`, without a trailing slash."""
    port: int


@contextlib.contextmanager
def running_bridge(
    state: BridgeState | None = None, *, root_path: str = DEFAULT_ROOT_PATH
) -> Iterator[RunningBridge]:
    """Serve `state` (a fresh one if None) until the block ends; held (`Fault.HANG`) requests are released
    so shutdown never waits on them."""
    state = state or BridgeState()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    port = int(listener.getsockname()[1])
    state.bind_root_url(f"http://{HOST}:{port}{root_path.rstrip('/')}")
    config = uvicorn.Config(
        build_bridge_app(state, root_path),
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=int(SHUTDOWN_TIMEOUT_S / 2),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="fake-simplefin", daemon=True
    )
    thread.start()
    try:
        wait_until(
            lambda: _started(server, thread),
            timeout_s=STARTUP_TIMEOUT_S,
            what="the fake Bridge to start",
            interval_s=0.01,
        )
        yield RunningBridge(state=state, root_url=state.root_url, port=port)
    finally:
        state.release_hung_requests()
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_TIMEOUT_S)
        listener.close()
        if thread.is_alive():
            raise AssertionError("the fake Bridge did not shut down")


def _started(server: uvicorn.Server, thread: threading.Thread) -> bool:
    if not thread.is_alive() and not server.started:
        raise AssertionError("the fake Bridge's server thread ended before it started")
    return server.started
