"""The GatewayError family: what services raise; each collection renders it in its own wire format.

GatewayError (500)
├── InvalidRequest (400)          malformed or semantically invalid input
│   └── InvalidJson (400)
├── Unauthenticated (401)         missing or bad credentials
├── Forbidden (403)               authenticated, not allowed
├── NotFound (404)                missing, or another tenant's (indistinguishable on purpose)
├── MethodNotAllowed (405)
├── Conflict (409)
├── PayloadTooLarge (413)
├── UnsupportedMediaType (415)
├── ValidationFailed (422)        well-formed input that fails the schema
├── RateLimited (429)
└── ServiceUnavailable (503)
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """Base of every expected failure; `code` is a stable machine-readable name."""

    status_code: int = 500
    code: str = "internal_error"
    default_message: str = "An internal error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or []
        self.headers = headers or {}
        self.documentation_url = documentation_url
        super().__init__(self.message)


class InvalidRequest(GatewayError):
    status_code = 400
    code = "invalid_request"
    default_message = "The request is invalid."


class InvalidJson(InvalidRequest):
    code = "invalid_json"
    default_message = "The request body is not valid JSON."


class Unauthenticated(GatewayError):
    status_code = 401
    code = "unauthenticated"
    default_message = "Authentication is required."


class Forbidden(GatewayError):
    status_code = 403
    code = "forbidden"
    default_message = "These credentials may not perform this operation."


class NotFound(GatewayError):
    status_code = 404
    code = "not_found"
    default_message = "The requested resource does not exist."


class MethodNotAllowed(GatewayError):
    status_code = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed on this resource."


class Conflict(GatewayError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state of the resource."


class PayloadTooLarge(GatewayError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(GatewayError):
    status_code = 415
    code = "unsupported_media_type"
    default_message = "The request body must be JSON (Content-Type: application/json)."


class ValidationFailed(GatewayError):
    status_code = 422
    code = "validation_failed"
    default_message = "The request body failed validation."


class RateLimited(GatewayError):
    """`limit` names the limit that refused (a fixed name: it labels `linkgate_rate_limited_total`)."""

    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; slow down."

    def __init__(
        self, message: str | None = None, *, limit: str = "other", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, headers=headers)
        self.limit = limit


class ServiceUnavailable(GatewayError):
    status_code = 503
    code = "service_unavailable"
    default_message = "The service is temporarily unavailable."


class HttpStatusError(GatewayError):
    """A status raised by the framework itself (rare: anything but 404 and 405)."""

    code = "http_error"

    def __init__(self, status_code: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers=headers)
        self.status_code = status_code


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    default_message = "The access token is invalid."


class ExpiredToken(Unauthenticated):
    code = "expired_token"
    default_message = "The access token has expired; request a new one."


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    default_message = "The credentials are not valid."


class WrongTokenKind(Forbidden):
    code = "wrong_token_kind"
    default_message = "This kind of token may not be used on this route."


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    default_message = "The API key behind this token lacks the scope this route needs."


class IpNotAllowed(Forbidden):
    code = "ip_not_allowed"
    default_message = "Calls from this address are not in the app's IP allow-list."
