"""One wrapper around every HTTP request that tells its observers how it ended.

The access log (gateway/access_log.py) and the request metrics (gateway/metrics/http.py) both need the
status and the duration of each request; one middleware times it and wraps `send` once for both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Called once the request has ended, with its scope (route, state), status and duration in seconds.
RequestObserver = Callable[[Scope, int, float], None]


class RequestOutcomeMiddleware:
    """Sits inside `RequestIdMiddleware`, so the request id is known, and outside the error middleware,
    so a 413, a 429 or a 500 made by a middleware reaches the observers with its status."""

    def __init__(self, app: ASGIApp, observers: Sequence[RequestObserver]) -> None:
        self.app = app
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.observers:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before it answers, the server answers 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed = time.perf_counter() - started
            for observe in self.observers:
                observe(scope, status, elapsed)
