"""MX error bodies: `{"error": {"message": "..."}}` with MX's status codes (docs.mx.com …/overview/errors).

The spec declares no error schema; clients key on the status (409 duplicate, 406 no valid version, ...).
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from formats.mx.render import MEDIA_TYPE
from gateway.errors import GatewayError, InvalidRequest, UnsupportedMediaType, ValidationFailed

BASIC_CHALLENGE = 'Basic realm="linkgate"'


class NotAcceptable(GatewayError):
    status_code = 406
    code = "not_acceptable"
    default_message = "Send Accept: application/vnd.mx.api.v1+json; no other API version is served here."


def _status(error: GatewayError) -> int:
    # MX answers malformed or missing parameters with 400; 422 is reserved for unprocessable work.
    if isinstance(error, ValidationFailed | InvalidRequest) and not isinstance(error, UnsupportedMediaType):
        return 400
    return error.status_code


def render_mx_error(error: GatewayError, request_id: str) -> Response:
    status = _status(error)
    headers = dict(error.headers)
    if status == 401:
        headers["WWW-Authenticate"] = BASIC_CHALLENGE
    message = error.message
    if error.details:
        message += " " + "; ".join(
            f"{d.get('field') or d.get('location')}: {d.get('message')}" for d in error.details
        )
    body = {"error": {"message": message}}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=MEDIA_TYPE)
