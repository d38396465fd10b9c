"""Run the fake Plaid with uvicorn on a loopback port in a background thread, for the length of a test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from tests.fakes.plaid.app import build_plaid_app
from tests.fakes.plaid.state import PlaidState
from tests.fakes.plaid.validation import description
from tests.fakes.serving import HOST, loopback_listener, serving


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
    listener, port = loopback_listener()
    state.bind_base_url(f"http://{HOST}:{port}")
    description()  # Plaid's OpenAPI file takes seconds to load: now, not inside the first request
    with serving(build_plaid_app(state), listener, name="the fake Plaid"):
        yield RunningPlaid(state=state, base_url=state.base_url, port=port)
    if check_fake_bugs and state.fake_bugs:
        raise AssertionError(
            "the fake Plaid answered against the OpenAPI file:\n" + "\n".join(state.fake_bugs)
        )
