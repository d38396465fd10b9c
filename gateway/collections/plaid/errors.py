"""Plaid error objects: top-level `{error_type, error_code, error_message, display_message, request_id}`.

Errors raised as Plaid errors keep their type and code; the rest of the `GatewayError` family is mapped
to the nearest Plaid error with Plaid's status.
"""

from __future__ import annotations

import orjson
from fastapi.responses import Response

from gateway.errors import (
    Conflict,
    Forbidden,
    GatewayError,
    InvalidJson,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)


class PlaidError(GatewayError):
    """An error with Plaid's own `error_type` and `error_code`."""

    status_code = 400
    error_type = "INVALID_REQUEST"
    display_message: str | None = None


def plaid_error(
    status: int, error_type: str, error_code: str, default: str, *, display: str | None = None
) -> type[PlaidError]:
    """A PlaidError subclass for one (type, code), with its status and default message."""
    attributes = {"status_code": status, "error_type": error_type, "code": error_code,
                  "default_message": default, "display_message": display}  # fmt: skip
    return type(error_code.title().replace("_", ""), (PlaidError,), attributes)


InvalidApiKeys = plaid_error(400, "INVALID_INPUT", "INVALID_API_KEYS", "invalid client_id or secret provided")
InvalidAccessToken = plaid_error(
    400,
    "INVALID_INPUT",
    "INVALID_ACCESS_TOKEN",
    "provided access token is in an invalid format or is no longer valid",
)
InvalidPublicToken = plaid_error(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
                                 "provided public token is expired, already used or invalid")  # fmt: skip
MissingFields = plaid_error(400, "INVALID_REQUEST", "MISSING_FIELDS", "required fields are missing")
InvalidField = plaid_error(400, "INVALID_REQUEST", "INVALID_FIELD", "a field is not valid")
InvalidBody = plaid_error(400, "INVALID_REQUEST", "INVALID_BODY", "body could not be parsed as JSON")
BodyTooLarge = plaid_error(413, "INVALID_REQUEST", "INVALID_BODY", "the request body is too large")
IncompatibleApiVersion = plaid_error(400, "INVALID_REQUEST", "INCOMPATIBLE_API_VERSION",
                                     "the Plaid-Version header is not supported")  # fmt: skip
NotFoundError = plaid_error(404, "INVALID_REQUEST", "NOT_FOUND", "the requested resource was not found")
InvalidInstitution = plaid_error(
    400, "INVALID_INPUT", "INVALID_INSTITUTION", "invalid institution_id provided"
)
ItemLoginRequired = plaid_error(
    400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED",
    "the login details of this item have changed (credentials, MFA, or required user action) and a user "
    "login is required to update this information",
    display="Your login details have changed. Please log in again to reconnect.",
)  # fmt: skip
ProductNotReady = plaid_error(
    400,
    "ITEM_ERROR",
    "PRODUCT_NOT_READY",
    "the requested product is not yet ready; retry once its first update completes",
)
ProductsNotSupported = plaid_error(400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED",
                                   "this item was not linked with the requested product")  # fmt: skip
SyncMutation = plaid_error(
    400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    "underlying transaction data changed since the last page was fetched; restart pagination from the "
    "first cursor of this update",
)  # fmt: skip
RateLimitExceeded = plaid_error(429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT", "rate limit exceeded")
SandboxProductNotEnabled = plaid_error(400, "SANDBOX_ERROR", "SANDBOX_PRODUCT_NOT_ENABLED",
                                       "this item does not have the product the webhook needs")  # fmt: skip
SandboxOnly = plaid_error(400, "INVALID_REQUEST", "SANDBOX_ONLY", "this endpoint is for sandbox apps only")
# The status and code Plaid answers while its API is unavailable (HTTP 503).
PlannedMaintenance = plaid_error(503, "API_ERROR", "PLANNED_MAINTENANCE",
                                 "the API is temporarily unavailable; retry shortly")  # fmt: skip
InternalServerError = plaid_error(500, "API_ERROR", "INTERNAL_SERVER_ERROR", "an unexpected error occurred")


def _validation_error(error: ValidationFailed) -> PlaidError:
    missing = [d["field"] for d in error.details if d.get("type") == "missing" and d.get("field")]
    if missing:
        return MissingFields(f"the following required fields are missing: {', '.join(missing)}")
    problems = [f"{d['field'] or d.get('location', 'body')}: {d['message']}" for d in error.details]
    return InvalidField(f"invalid fields: {'; '.join(problems)}" if problems else None)


def as_plaid_error(error: GatewayError) -> PlaidError:
    """The Plaid error a failure is reported as."""
    if isinstance(error, PlaidError):
        return error
    if isinstance(error, ValidationFailed):
        return _validation_error(error)
    if isinstance(error, InvalidJson | UnsupportedMediaType):
        return InvalidBody("the request body must be a JSON object sent as application/json")
    if isinstance(error, Unauthenticated | Forbidden):
        return InvalidApiKeys(error.message)
    if isinstance(error, NotFound):
        return NotFoundError(error.message)
    if isinstance(error, RateLimited):
        return RateLimitExceeded(error.message, headers=error.headers)
    if isinstance(error, PayloadTooLarge):
        return BodyTooLarge(error.message)
    if isinstance(error, Conflict):
        return InvalidField(error.message)
    if isinstance(error, ServiceUnavailable):
        return PlannedMaintenance(error.message)
    if error.status_code < 500:
        return InvalidField(error.message)
    return InternalServerError()


def render_plaid_error(error: GatewayError, request_id: str) -> Response:
    plaid = as_plaid_error(error)
    body = {
        "error_type": plaid.error_type,
        "error_code": plaid.code,
        "error_message": plaid.message,
        "display_message": plaid.display_message,
        "request_id": request_id,
        "documentation_url": f"https://plaid.com/docs/errors/#{plaid.code.lower()}",
        "suggested_action": None,
    }
    headers = {**error.headers, **plaid.headers}
    return Response(orjson.dumps(body), status_code=plaid.status_code, headers=headers,
                    media_type="application/json")  # fmt: skip
