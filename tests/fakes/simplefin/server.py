"""Run the fake Bridge with uvicorn on a loopback port in a background thread, for the length of a test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from tests.fakes.serving import HOST, loopback_listener, serving
from tests.fakes.simplefin.app import DEFAULT_ROOT_PATH, build_bridge_app
from tests.fakes.simplefin.state import BridgeState


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
    listener, port = loopback_listener()
    state.bind_root_url(f"http://{HOST}:{port}{root_path.rstrip('/')}")
    with serving(build_bridge_app(state, root_path), listener, name="the fake Bridge",
                 before_stop=state.release_hung_requests):  # fmt: skip
        yield RunningBridge(state=state, root_url=state.root_url, port=port)
