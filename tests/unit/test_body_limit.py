"""An oversized body is read to its end before the 413 goes out: a client still sending it would
otherwise meet a reset connection instead of the answer."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from gateway.errors import GatewayError
from gateway.middleware import DRAIN_FACTOR, BodySizeLimitMiddleware

LIMIT = 100


def _render(scope: Scope, error: GatewayError) -> Response:
    return JSONResponse({"error": error.code}, status_code=error.status_code)


async def _reads_the_body(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await JSONResponse({"bytes": len(body)})(scope, receive, send)


class Client:
    """Feeds `chunks` as the request body and records what the app reads and sends, in order."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.events: list[str] = []

    async def receive(self) -> Message:
        if not self.chunks:
            raise AssertionError("read past the end of the body")
        chunk = self.chunks.pop(0)
        self.events.append("read")
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.events.append(f"status {message['status']}")


def _scope(content_length: int | None) -> dict[str, Any]:
    headers = [(b"content-length", str(content_length).encode())] if content_length is not None else []
    return {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}


@pytest.mark.parametrize("declared", [True, False])
async def test_the_whole_body_is_read_before_the_413(declared: bool) -> None:
    chunks = [b"x" * 60] * 5
    client = Client(chunks)
    middleware = BodySizeLimitMiddleware(_reads_the_body, max_bytes=LIMIT, render_error=_render)
    await middleware(_scope(300 if declared else None), client.receive, client.send)
    assert client.events == ["read"] * 5 + ["status 413"]


async def test_a_body_far_over_the_limit_is_not_read_forever() -> None:
    chunks = [b"x" * LIMIT] * (DRAIN_FACTOR + 10)
    client = Client(chunks)
    middleware = BodySizeLimitMiddleware(_reads_the_body, max_bytes=LIMIT, render_error=_render)
    await middleware(_scope(len(chunks) * LIMIT), client.receive, client.send)
    assert client.events[-1] == "status 413"
    assert client.chunks  # the rest is left unread; the answer closes the connection


async def test_a_body_within_the_limit_reaches_the_app() -> None:
    client = Client([b"x" * 50, b"x" * 50])
    middleware = BodySizeLimitMiddleware(_reads_the_body, max_bytes=LIMIT, render_error=_render)
    await middleware(_scope(100), client.receive, client.send)
    assert client.events == ["read", "read", "status 200"]
