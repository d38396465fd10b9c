"""Run the fake Plaid with uvicorn on a loopback port in a background thread, for the length of a test."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from tests.fakes.plaid.app import build_plaid_app
from tests.fakes.plaid.state import PlaidState
from tests.fakes.plaid.validation import description
from tests.support.processes import wait_until

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RunningPlaid:
    """A serving fake Plaid: script it through `state`; point the adapter's Plaid host at `base_url`."""

    state: PlaidState
    base_url: str
    """e.g. `http://127.0.0.1:PORT`, without a trailing slash (Plaid paths hang off it directly)."""
    port: int


@contextlib.contextmanager
def running_plaid(state: PlaidState | None = None, *, check_fake_bugs: bool = True) -> Iterator[RunningPlaid]:
    """Serve `state` (a fresh one if None) until the block ends; then, with `check_fake_bugs`, fail if the
    fake sent an answer the OpenAPI file refuses (a bug in the fake, not in the client under test)."""
    state = state or PlaidState()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    port = int(listener.getsockname()[1])
    state.bind_base_url(f"http://{HOST}:{port}")
    description()  # Plaid's OpenAPI file takes seconds to load: now, not inside the first request
    config = uvicorn.Config(
        build_plaid_app(state),
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=int(SHUTDOWN_TIMEOUT_S / 2),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="fake-plaid", daemon=True
    )
    thread.start()
    try:
        wait_until(
            lambda: _started(server, thread),
            timeout_s=STARTUP_TIMEOUT_S,
            what="the fake Plaid to start",
            interval_s=0.01,
        )
        yield RunningPlaid(state=state, base_url=state.base_url, port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_TIMEOUT_S)
        listener.close()
        if thread.is_alive():
            raise AssertionError("the fake Plaid did not shut down")
    if check_fake_bugs and state.fake_bugs:
        raise AssertionError(
            "the fake Plaid answered against the OpenAPI file:\n" + "\n".join(state.fake_bugs)
        )


def _started(server: uvicorn.Server, thread: threading.Thread) -> bool:
    if not thread.is_alive() and not server.started:
        raise AssertionError("the fake Plaid's server thread ended before it started")
    return server.started
