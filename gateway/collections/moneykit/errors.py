"""MoneyKit error bodies: `{"error_code", "error_message", "documentation_url"}` with MoneyKit's codes.

Errors raised with a dotted MoneyKit code keep it; the gateway's generic errors are mapped.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

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
from providers.moneykit.render import API_VERSION

VERSION_HEADER = "MoneyKit-Version"


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

    def __init__(self, message: str, *, link_error_code: str) -> None:
        super().__init__(message)
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
        return "api_error.request.validation_failed", 422
    if isinstance(error, NotFound):
        return "api_error.not_found", 404
    if isinstance(error, Forbidden):
        return "link_error.forbidden_action", 403
    if isinstance(error, Conflict):
        return "api_error.conflict", 409
    return "api_error.internal_error", error.status_code


def render_moneykit_error(error: GatewayError, request_id: str) -> Response:
    code, status = _mapped(error)
    body: dict[str, Any] = {"error_code": code, "error_message": error.message, "documentation_url": None}
    if isinstance(error, LinkBadState):
        body["link_error_code"] = error.link_error_code
    if code == "api_error.request.validation_failed":
        body["validation_errors"] = [
            {"location": [detail.get("location", "body"), *filter(None, [detail.get("field")])],
             "message": detail.get("message", ""), "type": detail.get("type", "value_error")}
            for detail in error.details
        ] or [{"location": ["body"], "message": error.message, "type": "value_error"}]  # fmt: skip
    headers = {**error.headers, VERSION_HEADER: API_VERSION}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")
