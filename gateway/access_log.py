"""The access log: one line per request through the `linkgate.access` logger, secrets redacted.

uvicorn's own access line is off (`linkgate serve`): it prints the raw query string, and some entry
points take credentials there (`/v1/gateway/authenticate?token=…`, `/connect?link_session_token=…`).
Here the value of every credential-like query parameter is replaced, and anything shaped like a JWT is
replaced wherever it appears in the target, whatever its parameter's name.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

from starlette.types import Scope

from gateway.metrics.labels import route_template
from gateway.observability.logs import fields

logger = logging.getLogger("linkgate.access")

REDACTED = "[redacted]"
# Parameters whose whole name marks a secret.
SENSITIVE_NAMES = frozenset({"code", "key", "sig", "pin", "otp", "jwt", "assertion", "mfa"})
# Parameters whose name contains one of these anywhere (`access_token`, `client_secret`, `apiKey`, ...).
SENSITIVE_PARTS = (
    "token", "secret", "password", "passwd", "passcode", "credential", "apikey", "api_key", "private",
    "signature", "session", "auth", "cookie",
)  # fmt: skip
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")


def is_sensitive_parameter(name: str) -> bool:
    normalized = unquote_plus(name).strip().lower().replace("-", "_")
    return normalized in SENSITIVE_NAMES or any(part in normalized for part in SENSITIVE_PARTS)


def redact_query(query: str) -> str:
    """The query string with the values of credential-like parameters replaced by `[redacted]`."""
    pieces = []
    for piece in query.split("&"):
        name, separator, _value = piece.partition("=")
        pieces.append(f"{name}={REDACTED}" if separator and is_sensitive_parameter(name) else piece)
    return _JWT.sub(REDACTED, "&".join(pieces))


def request_target(scope: Scope) -> str:
    """Path and query as the client sent them (still percent-encoded, so one line stays one line)."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")
    target = _JWT.sub(REDACTED, path)
    return f"{target}?{redact_query(query)}" if query else target


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """The request's access line (a `RequestObserver`, gateway/observability/requests.py): method,
    target, route template, status, duration, request id, app id and peer address."""
    if not logger.isEnabledFor(logging.INFO):
        return
    duration_ms = seconds * 1000
    state, client = scope.get("state", {}), scope.get("client")
    method, target = scope.get("method", "-"), request_target(scope)
    route = route_template(scope.get("route"), scope.get("path", ""))  # as the metrics name it
    request_id, app_id = state.get("request_id", "-"), state.get("app_id", "-")
    address = client[0] if client else "-"
    logger.info(
        "%s %s %d %.1fms request_id=%s app_id=%s client=%s", method, target, status, duration_ms, request_id,
        app_id, address,
        extra=fields(method=method, target=target, route=route, status=status,
                     duration_ms=round(duration_ms, 2), request_id=request_id, app_id=app_id, client=address),
    )  # fmt: skip
