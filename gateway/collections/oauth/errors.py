"""RFC 6749 §5.2 error bodies for `/oauth/token`: `{"error", "error_description"}`."""

from __future__ import annotations

import orjson
from starlette.responses import Response

from gateway.errors import (
    GatewayError,
    InvalidCredentials,
    InvalidRequest,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
)


class OAuthError(InvalidRequest):
    """An error with its RFC 6749 code; 400 unless a subclass says otherwise."""

    code = "invalid_request"


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"
    default_message = "Only grant_type=client_credentials is supported."


class InvalidScope(OAuthError):
    code = "invalid_scope"
    default_message = "The requested scope is not one this API key has."


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_code(error: GatewayError) -> tuple[str, int]:
    if isinstance(error, OAuthError):
        return error.code, error.status_code
    if isinstance(error, InvalidCredentials):
        return "invalid_client", 401
    if isinstance(error, RateLimited):
        return "slow_down", 429
    if isinstance(error, PayloadTooLarge):
        return "invalid_request", 413
    if isinstance(error, ServiceUnavailable):
        return "temporarily_unavailable", 503
    if 400 <= error.status_code < 500 and error.status_code not in (404, 405):
        return "invalid_request", 400  # malformed bodies, wrong content types, schema violations
    if error.status_code in (404, 405):
        return "invalid_request", error.status_code
    return "server_error", 500


def render_oauth_error(error: GatewayError, request_id: str) -> Response:
    code, status = _oauth_code(error)
    body = {"error": code, "error_description": error.message, "request_id": request_id}
    return Response(
        orjson.dumps(body),
        status_code=status,
        headers={**error.headers, **NO_STORE},
        media_type="application/json",
    )
