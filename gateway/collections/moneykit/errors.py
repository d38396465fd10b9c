"""MoneyKit error bodies: `{"error_code", "error_message", "documentation_url"}` with MoneyKit's codes.

Errors raised with a dotted MoneyKit code keep it; the gateway's generic errors are mapped. Input an
operation cannot accept is answered with the error its official client declares for that operation
(`BadInput` below; see `routing.answers_bad_input_with`), and says which fields are wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.responses import Response

from formats.moneykit.render import API_VERSION
from gateway.errors import (
    Conflict,
    ExpiredToken,
    Forbidden,
    GatewayError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)

VERSION_HEADER = "MoneyKit-Version"
VALIDATION_FAILED = "api_error.request.validation_failed"


class LinkNotFound(NotFound):
    code = "link_error.not_found"
    default_message = "Link not found."


class LinkDeleted(GatewayError):
    status_code = 410
    code = "link_error.deleted"
    default_message = "This link was deleted at some earlier time."


class LinkForbiddenAction(Forbidden):
    code = "link_error.forbidden_action"
    default_message = "This link does not permit this action."


class LinkBadState(GatewayError):
    status_code = 422
    code = "link_error.bad_state"
    default_message = "The link is not in a state that allows this."

    def __init__(
        self, message: str, *, link_error_code: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.link_error_code = link_error_code


class InstitutionNotFound(NotFound):
    code = "institution_error.not_found"
    default_message = "Institution not found"


class InvalidTokenExchange(InvalidRequest):
    code = "link_session_error.invalid_token_exchange"
    default_message = "Invalid token for link."


class LinkBadConfig(InvalidRequest):
    code = "link_error.bad_config"
    default_message = "The link is not configured for this."


class ForbiddenConfig(Forbidden):
    code = "link_session_error.forbidden_config"
    default_message = "Forbidden use of a MoneyKit feature."


class UnsupportedVersion(InvalidRequest):
    code = "api_error.request.unsupported_version"


class TokenRequestRefused(InvalidRequest):
    """`POST /auth/token`'s 400: MoneyKit's client declares the unauthorized body for it."""

    code = "api_error.auth.unauthorized"


BadInput = Callable[[GatewayError], GatewayError]
"""What one operation answers for input it cannot accept, made from the generic error."""


def is_bad_input(error: GatewayError) -> bool:
    """A generic input error (not one that already carries a MoneyKit code)."""
    generic = isinstance(error, InvalidRequest | ValidationFailed | UnsupportedMediaType)
    return generic and "." not in error.code


def describe_bad_input(error: GatewayError) -> str:
    """`Invalid request: query size: Input should be ...; body tags: ...`, or the error's own message."""
    problems = [
        f"{' '.join(filter(None, [detail.get('location'), detail.get('field')]))}: {detail['message']}"
        for detail in error.details
        if detail.get("message")
    ]
    return f"Invalid request: {'; '.join(problems)}." if problems else error.message


def link_bad_input(error: GatewayError) -> GatewayError:
    """Link routes declare one 422 body, LinkErrorBadStateResponse; its `link_error_code` names the cause."""
    return LinkBadState(describe_bad_input(error), link_error_code=VALIDATION_FAILED, details=error.details)


def link_session_bad_input(error: GatewayError) -> GatewayError:
    return ForbiddenConfig(describe_bad_input(error), details=error.details)


def token_exchange_bad_input(error: GatewayError) -> GatewayError:
    return InvalidTokenExchange(describe_bad_input(error), details=error.details)


def token_request_bad_input(error: GatewayError) -> GatewayError:
    return TokenRequestRefused(describe_bad_input(error), details=error.details)


def _mapped(error: GatewayError) -> tuple[str, int]:
    if "." in error.code:
        return error.code, error.status_code
    if isinstance(error, ExpiredToken):
        return "api_error.auth.expired_access_token", 401
    if isinstance(error, Unauthenticated):
        return "api_error.auth.unauthorized", 401
    if isinstance(error, RateLimited):
        return "api_error.rate_limit_exceeded", 429
    if isinstance(error, PayloadTooLarge):
        return "api_error.request.payload_too_large", 413
    if isinstance(error, ValidationFailed | UnsupportedMediaType | InvalidRequest):
        return VALIDATION_FAILED, 422
    if isinstance(error, NotFound):
        return "api_error.not_found", 404
    if isinstance(error, Forbidden):
        return "link_error.forbidden_action", 403
    if isinstance(error, Conflict):
        return "api_error.conflict", 409
    return "api_error.internal_error", error.status_code


def render_moneykit_error(error: GatewayError, request_id: str) -> Response:
    code, status = _mapped(error)
    message = describe_bad_input(error) if is_bad_input(error) else error.message
    body: dict[str, Any] = {"error_code": code, "error_message": message, "documentation_url": None}
    if isinstance(error, LinkBadState):
        body["link_error_code"] = error.link_error_code
    if code == VALIDATION_FAILED or error.details:
        body["validation_errors"] = [
            {"location": [detail.get("location", "body"), *filter(None, [detail.get("field")])],
             "message": detail.get("message", ""), "type": detail.get("type", "value_error")}
            for detail in error.details
        ] or [{"location": ["body"], "message": error.message, "type": "value_error"}]  # fmt: skip
    headers = {**error.headers, VERSION_HEADER: API_VERSION}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")
