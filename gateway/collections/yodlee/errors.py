"""Yodlee error bodies: `{"errorCode", "errorMessage", "referenceCode"}` with Yodlee's Y-codes.

Errors raised with a Y-code keep it; the gateway's generic errors are mapped to the code Yodlee uses
for the same failure. Auth failures are 401 (Yodlee's documentation table), input errors 400.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from gateway.errors import (
    ExpiredToken,
    Forbidden,
    GatewayError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)


class YodleeError(GatewayError):
    """An error with Yodlee's own code; 400 unless the subclass says otherwise."""

    status_code = 400
    code = "Y400"
    default_message = "Invalid request."

    def __init__(self, code: str, message: str, *, status_code: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = status_code


def invalid_value(name: str) -> YodleeError:
    return YodleeError("Y800", f"Invalid value for {name}")


def required(name: str) -> YodleeError:
    return YodleeError("Y803", f"{name} required")


def not_found(what: str) -> YodleeError:
    """Missing, malformed or another tenant's: Yodlee answers an unknown id with Y800 on the id."""
    return invalid_value(what)


def resource_not_found() -> YodleeError:
    """For operations whose description declares 404 but no 400 (`GET /accounts/{accountId}`)."""
    return YodleeError("Y807", "Resource not found", status_code=404)


def missing_version() -> YodleeError:
    return YodleeError("Y016", "Api-Version header missing", status_code=401)


def _mapped(error: GatewayError) -> tuple[str, int]:
    if error.code.startswith("Y") and error.code[1:].isdigit():
        return error.code, error.status_code
    if isinstance(error, ExpiredToken):
        return "Y023", 401
    if isinstance(error, Unauthenticated):
        return ("Y007", 401) if error.code == "unauthenticated" else ("Y008", 401)
    if isinstance(error, Forbidden):
        return "Y015", 401
    if isinstance(error, RateLimited):
        return "Y400", 429
    if isinstance(error, PayloadTooLarge):
        return "Y806", 413
    if isinstance(error, NotFound | MethodNotAllowed):
        # A method we do not serve on a path we do is an operation we do not implement: Yodlee's
        # description declares 404 for every operation and 405 for none.
        return "Y807", 404
    if isinstance(error, ValidationFailed | UnsupportedMediaType | InvalidRequest):
        return "Y806", 400
    return "Y902", error.status_code


def _message(error: GatewayError, code: str) -> str:
    if code == "Y007":
        return "Authorization header missing"
    if code == "Y008":
        return "Invalid token in authorization header"
    if code == "Y023":
        return "Token has expired"
    if code == "Y806" and isinstance(error, ValidationFailed) and error.details:
        fields = ", ".join(str(d.get("field") or d.get("location")) for d in error.details)
        return f"Invalid input: {fields}"
    return error.message


def render_yodlee_error(error: GatewayError, request_id: str) -> Response:
    code, status = _mapped(error)
    body = {"errorCode": code, "errorMessage": _message(error, code), "referenceCode": request_id}
    return Response(
        orjson.dumps(body),
        status_code=status,
        headers=error.headers,
        media_type="application/json;charset=UTF-8",
    )
