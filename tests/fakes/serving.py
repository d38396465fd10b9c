"""Serving a fake upstream with uvicorn on a loopback port in a background thread: what each fake's
`running_*` context manager does around its own app and state."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn
from starlette.types import ASGIApp

from tests.support.processes import wait_until

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0


def loopback_listener() -> tuple[socket.socket, int]:
    """A socket bound to a free port on 127.0.0.1 (known before the app is built), and that port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    return listener, int(listener.getsockname()[1])


@contextlib.contextmanager
def serving(
    app: ASGIApp, listener: socket.socket, *, name: str, before_stop: Callable[[], None] | None = None
) -> Iterator[None]:
    """Serve `app` on `listener` until the block ends (`before_stop` runs first: release what would hold
    the shutdown); the server must start and stop within its timeouts."""
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False,
        timeout_graceful_shutdown=int(SHUTDOWN_TIMEOUT_S / 2),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name=name, daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: _started(server, thread, name), timeout_s=STARTUP_TIMEOUT_S, what=f"{name} to start",
            interval_s=0.01,
        )  # fmt: skip
        yield
    finally:
        if before_stop is not None:
            before_stop()
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_TIMEOUT_S)
        listener.close()
        if thread.is_alive():
            raise AssertionError(f"{name} did not shut down")


def _started(server: uvicorn.Server, thread: threading.Thread, name: str) -> bool:
    if not thread.is_alive() and not server.started:
        raise AssertionError(f"{name}'s server thread ended before it started")
    return server.started
