"""Pure-ASGI middleware: request ids on every response and a request body size limit."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import GatewayError, PayloadTooLarge
from gateway.observability.tracing import annotate_request

if TYPE_CHECKING:
    from gateway.exception_handlers import ErrorResponder

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdMiddleware:
    """Echo a sane incoming `X-Request-Id`, else generate one; set it on every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        annotate_request(request_id)

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            request_id_var.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SANE_REQUEST_ID.match(candidate) else None
    return None


class BodyTooLarge(Exception):
    """Raised from `receive` when the streamed body passes the limit."""


# How much of an oversized body is read and thrown away before the 413, as a multiple of the limit;
# past it the connection is closed unread.
DRAIN_FACTOR = 16


class BodySizeLimitMiddleware:
    """Reject bodies over `max_bytes` with 413, by Content-Length up front or while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, render_error: ErrorResponder) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(scope, receive, send)
            return

        received = 0
        exceeded = False
        rejected = False
        body_read = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded, body_read
            message = await receive()
            body_read = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Frameworks may turn the receive error into their own 400; answer 413 in its place.
            nonlocal rejected
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start" and not rejected:
                rejected = True
                await self._reject(scope, receive, send, drain=not body_read)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not rejected:
                rejected = True
                await self._reject(scope, receive, send, drain=not body_read)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, *, drain: bool = True) -> None:
        if drain:
            await _drain(receive, limit=DRAIN_FACTOR * self.max_bytes)
        error = PayloadTooLarge(f"The request body is larger than the limit of {self.max_bytes} bytes.")
        response = self.render_error(scope, error)
        response.headers["connection"] = "close"
        await response(scope, receive, send)


async def _drain(receive: Receive, *, limit: int) -> None:
    """Read and discard the rest of the body (up to `limit` bytes): a client still sending it would
    otherwise meet a reset connection instead of reading the 413."""
    drained = 0
    while drained <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        drained += len(message.get("body", b""))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class UnhandledErrorMiddleware:
    """Last line of defence: an unexpected exception becomes a 500 in the caller's format, logged once.

    It sits inside `RequestIdMiddleware`, so even these responses carry the request id.
    """

    def __init__(self, app: ASGIApp, *, render_error: ErrorResponder) -> None:
        self.app = app
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if response_started:
                raise
            await self.render_error(scope, GatewayError())(scope, receive, send)


class CollapseSlashesMiddleware:
    """`//` in a path is read as `/`: a client configured with a trailing slash on its host (as the
    Plaid clients build `host + "/accounts/get"`) still reaches the route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            path = re.sub("/{2,}", "/", scope["path"])
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
