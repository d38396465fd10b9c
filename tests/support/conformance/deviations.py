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
    Deviation(
        "moneykit",
        "An unknown MoneyKit-Version header is refused before any operation runs, with 400 "
        "api_error.request.unsupported_version; the client always sends the one version it knows, so "
        "no operation declares this answer.",
        statuses=(400,),
        problem=r"is not declared .* for error_code api_error\.request\.unsupported_version$",
    ),
    Deviation(
        "moneykit",
        "get_links, get_institutions and the /users/{id}/... reads declare only 200, 401 (and 429): "
        "nothing for a bad query parameter. Answering 401 or 429 would send a client to renew its token "
        "or back off, so they answer 422 with the client's own validation model (HTTPValidationError, "
        "whose validation_errors name each wrong field).",
        statuses=(422,),
        path=r"/links|/institutions|/users/[^/]+/(links|accounts|transactions)",
        problem=r"is not declared .* for error_code api_error\.request\.validation_failed$",
    ),
    Deviation(
        "moneykit",
        "The two imports declare only 200, 401 and 429. A body that fails the schema answers 422 and an "
        "import that contradicts itself (a transaction of an account it does not import) answers 400, "
        "both with the client's HTTPValidationError model naming the field.",
        statuses=(400, 422),
        path=r"/links/import|/links/[^/]+/import/transactions",
        problem=r"is not declared .* for error_code api_error\.request\.validation_failed$",
    ),
    Deviation(
        "moneykit",
        "import_transactions takes a link id but declares no link errors: a missing (or another "
        "tenant's) link answers 404, a deleted one 410 and a link that is not an imported one 403, with "
        "the client's link error models, exactly as every other /links/{id} operation answers.",
        statuses=(403, 404, 410),
        path=r"/links/[^/]+/import/transactions",
        problem=r"is not declared .* for error_code link_error\.(not_found|deleted|forbidden_action)$",
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
