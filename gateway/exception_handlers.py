"""Turn every failure into a JSON error in the caller's wire format, with its request id.

Each collection registers an `ErrorRenderer` for its path prefix; anything else gets the default
platform shape `{"error": {"code", "status", "message", "details"}, "request_id"}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from gateway.db_faults import DATABASE_FAULT_TYPES, database_unavailable, fault_summary
from gateway.errors import (
    GatewayError,
    HttpStatusError,
    InvalidJson,
    MethodNotAllowed,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from gateway.metrics.refusals import count_refusal
from gateway.middleware import current_request_id

logger = logging.getLogger(__name__)

ErrorRenderer = Callable[[GatewayError, str], Response]
ErrorResponder = Callable[[Scope, GatewayError], Response]

JSON_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def render_default_error(error: GatewayError, request_id: str) -> Response:
    payload: dict[str, Any] = {
        "code": error.code,
        "status": error.status_code,
        "message": error.message,
        "details": error.details,
    }
    if error.documentation_url is not None:
        payload["documentation_url"] = error.documentation_url
    body = {"error": payload, "request_id": request_id}
    return Response(
        orjson.dumps(body),
        status_code=error.status_code,
        headers=error.headers,
        media_type="application/json",
    )


@dataclass
class ErrorRenderers:
    """Renderers keyed by path prefix; the longest matching prefix wins."""

    default: ErrorRenderer = render_default_error
    by_prefix: dict[str, ErrorRenderer] = field(default_factory=dict)

    def register(self, prefix: str, renderer: ErrorRenderer) -> None:
        self.by_prefix[prefix.rstrip("/")] = renderer

    def for_path(self, path: str) -> ErrorRenderer:
        matches = [p for p in self.by_prefix if path == p or path.startswith(p + "/")]
        return self.by_prefix[max(matches, key=len)] if matches else self.default

    def respond(self, scope: Scope, error: GatewayError) -> Response:
        count_refusal(error)
        request_id = scope.get("state", {}).get("request_id") or current_request_id()
        return self.for_path(scope.get("path", ""))(error, request_id)


def install_exception_handlers(app: FastAPI, renderers: ErrorRenderers) -> None:
    async def on_gateway_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        return renderers.respond(request.scope, exc)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return renderers.respond(request.scope, _from_http_exception(exc))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return renderers.respond(request.scope, from_validation_error(request, exc))

    async def on_database_fault(request: Request, exc: Exception) -> Response:
        unavailable = database_unavailable(exc)
        if unavailable is None:
            raise exc  # not the database being away: the unhandled-error middleware answers 500
        logger.warning(
            "database unavailable on %s %s (%s)", request.method, request.url.path, fault_summary(exc)
        )
        return renderers.respond(request.scope, unavailable)

    app.add_exception_handler(GatewayError, on_gateway_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    for fault_type in DATABASE_FAULT_TYPES:
        app.add_exception_handler(fault_type, on_database_fault)


def _from_http_exception(exc: StarletteHTTPException) -> GatewayError:
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        return NotFound(headers=headers)
    if exc.status_code == 405:
        return MethodNotAllowed(headers=headers)
    return HttpStatusError(exc.status_code, str(exc.detail), headers=headers)


def from_validation_error(request: Request, exc: RequestValidationError) -> GatewayError:
    """The error a request that failed FastAPI's validation is answered with."""
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return InvalidJson()
    body_errors = [e for e in errors if e.get("loc", ("",))[0] == "body"]
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body_errors and content_type and not _is_accepted_media_type(content_type):
        return UnsupportedMediaType()
    return ValidationFailed(details=[_detail(e) for e in errors])


def _is_accepted_media_type(content_type: str) -> bool:
    return content_type in JSON_MEDIA_TYPES or content_type.endswith("+json")


def _detail(error: dict[str, Any]) -> dict[str, Any]:
    """One validation problem: where (`body`, `query`, ...), which field, and what is wrong."""
    location = [str(part) for part in error.get("loc", ())]
    return {
        "location": location[0] if location else "",
        "field": ".".join(location[1:]),
        "message": error.get("msg", ""),
        "type": error.get("type", ""),
    }
