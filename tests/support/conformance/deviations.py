"""Deviations from the official descriptions that Linkgate makes on purpose, each with its reason.

Everything else a description does not allow fails the contract test that received it. Keep this list
short: an entry is a decision, not a way to make a test pass. An entry matches on the collection,
the operation (operationId, or the MoneyKit client's method name; "-" for a path the description
lacks), the local path (a regex on the path below the collection's prefix), the status and the
problem's text (a regex).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

ANY_STATUS = range(100, 600)


@dataclass(frozen=True)
class Deviation:
    collection: str
    reason: str
    statuses: range | tuple[int, ...] = ANY_STATUS
    operation: str = "*"
    path: str = ".*"
    problem: str = ".*"

    def allows(self, collection: str, operation: str, path: str, status: int, problem: str) -> bool:
        return (
            self.collection in (collection, "*")
            and self.operation in (operation, "*")
            and status in self.statuses
            and re.fullmatch(self.path, path) is not None
            and re.search(self.problem, problem, re.DOTALL) is not None
        )


EVERY_COLLECTION = (
    Deviation(
        "*",
        "413 (body over LINKGATE_MAX_BODY_BYTES), 429 (rate limits, with Retry-After) and 503 (database "
        "unavailable, with Retry-After) can answer any operation of any HTTP API; the descriptions list "
        "only what each operation itself decides. The body is still the collection's error shape.",
        statuses=(413, 429, 503),
        problem="is not declared",
    ),
)

PLAID: tuple[Deviation, ...] = ()

MX = (
    Deviation(
        "mx",
        "MX's description declares no error responses at all; MX documents 400, 401, 403, 404, 405, 406, "
        "409, 422 and 429 (docs.mx.com, Platform API errors). Their bodies are checked against MX's "
        "error envelope by `undescribed_problems` below instead.",
        statuses=range(400, 500),
        problem="is not declared",
    ),
)

YODLEE: tuple[Deviation, ...] = ()

MONEYKIT = (
    Deviation(
        "moneykit",
        "Linkgate's sandbox shortcut (an exchangeable token without Connect, as Plaid's "
        "/sandbox/public_token/create) is not part of MoneyKit's API, so its client has no operation for it.",
        operation="-",
        path="/sandbox/exchangeable-token",
        problem="has no such operation",
    ),
)

DEVIATIONS = EVERY_COLLECTION + PLAID + MX + YODLEE + MONEYKIT


def chosen_deviation(collection: str, operation: str, path: str, status: int, problem: str) -> bool:
    """Whether `problem` is one of the deviations above."""
    return any(d.allows(collection, operation, path, status, problem) for d in DEVIATIONS)


def undescribed_problems(collection: str, status: int, body: bytes) -> list[str]:
    """Checks for what a description leaves out: MX's error bodies."""
    if collection == "mx" and status >= 400:
        problem = _mx_error_problem(body)
        return [problem] if problem else []
    return []


def _mx_error_problem(body: bytes) -> str | None:
    """MX's documented error envelope: {"error": {"message": "...", ...}}."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "an MX error body that is not JSON"
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return 'an MX error body that is not {"error": {"message": "..."}}'
    return None
