"""Which description judges a response, and the verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from tests.support.conformance import moneykit, openapi
from tests.support.conformance.deviations import chosen_deviation, undescribed_problems


class Judge(Protocol):
    name: str

    def operation(self, method: str, path: str) -> object | None: ...

    def has_path(self, path: str) -> bool: ...

    def problems(self, operation: object, status: int, content_type: str, body: bytes) -> list[str]: ...


@dataclass(frozen=True)
class Mismatch:
    """A response that its collection's official description does not allow."""

    method: str
    path: str
    status: int
    operation: str
    problems: tuple[str, ...]
    body: bytes

    def __str__(self) -> str:
        listed = "\n    ".join(self.problems[:12])
        return (f"{self.method} {self.path} -> {self.status} ({self.operation}):\n    {listed}\n"
                f"    body: {self.body[:400]!r}")  # fmt: skip


COLLECTIONS: dict[str, str] = {
    "/v1/plaid": "plaid-2020-09-14.yml",
    "/v1/mx": "mx-v20111101.yml",
    "/v2/yodlee": "yodlee-v1.1-swagger.yaml",
    "/v1/moneykit": "moneykit",
}


def _judge_for(path: str) -> tuple[str, Judge] | None:
    for prefix, source in COLLECTIONS.items():
        if path == prefix or path.startswith(prefix + "/"):
            judge: Judge = moneykit.load() if source == "moneykit" else openapi.load(source)  # type: ignore[assignment]
            return prefix, judge
    return None


def judge_response(method: str, path: str, status: int, content_type: str, body: bytes) -> Mismatch | None:
    """The mismatch of one response, or None when its description (or a chosen deviation) allows it.

    Paths outside the four collections (the platform's own routes) are not judged here."""
    path = re.sub("/{2,}", "/", path)  # as the gateway reads it
    found = _judge_for(path)
    if found is None:
        return None
    prefix, judge = found
    local = path[len(prefix) :] or "/"
    operation = judge.operation(method, local)
    if operation is None:
        if status in (404, 405):
            return None  # a path or method the description lacks is rightly not found
        problems = ["the description has no such operation"]
        name = "-"
    else:
        problems = judge.problems(operation, status, content_type, body)
        name = str(getattr(operation, "name", "-"))
    problems = [p for p in problems if not chosen_deviation(judge.name, name, local, status, p)]
    problems += undescribed_problems(judge.name, status, body)
    if not problems:
        return None
    return Mismatch(method.upper(), path, status, name, tuple(problems), body)
