"""Judging MoneyKit responses the way the official `moneykit` client reads them.

MoneyKit publishes its API as the client itself: each API method knows its HTTP method, its path and
a map from status to the model that status carries (`_response_types_map`). This module reads that
table out of the client's source, and parses a response with the client's own `ApiClient.deserialize`
and pydantic models, so a response the client would reject (or a status it does not expect for that
operation) is a mismatch. An operation whose map is empty (`delete_link`) declares nothing, and the
client reads nothing from its responses, so they are not judged.

Two repairs of the generated client, each stated below: the maps its generator lost (`LOST_MAPS`) are
judged with the element models MoneyKit's description gives them, and a status an operation does not
declare names the body's `error_code` (so a chosen deviation can name it) and is still judged with
the client's model for that code when it has one.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import moneykit
import moneykit.api
import moneykit.models
import orjson
from pydantic import BaseModel, ValidationError

# The `/users/{id}/...` answers' maps, typed `Optional[Any]` by the Python generator, whose `from_dict`
# then validates `{}` and so refuses every answer; MoneyKit's description (as its Ruby client shows)
# types them as maps of these models.
LOST_MAPS: dict[str, tuple[str, str]] = {
    "GetUserLinksResponse": ("links", "LinkCommon"),
    "GetUserAccountsResponse": ("links", "AccountGroup"),
    "GetUserTransactionsResponse": ("accounts", "BasicAccountDetails"),
}


@dataclass(frozen=True)
class MoneyKitOperation:
    method: str
    template: str
    name: str
    response_types: dict[str, str | None]
    pattern: re.Pattern[str]


class MoneyKitDescription:
    name = "moneykit"

    def __init__(self, operations: list[MoneyKitOperation]) -> None:
        self._operations = sorted(operations, key=lambda op: op.template.count("{"))
        self._client = moneykit.ApiClient(moneykit.Configuration())

    def operation(self, method: str, path: str) -> MoneyKitOperation | None:
        return next(
            (op for op in self._operations if op.method == method.upper() and op.pattern.match(path)), None
        )

    def has_path(self, path: str) -> bool:
        return any(op.pattern.match(path) for op in self._operations)

    def problems(
        self, operation: MoneyKitOperation, status: int, content_type: str, body: bytes
    ) -> list[str]:
        types = operation.response_types
        if not types:
            return []  # the client declares nothing for this operation and reads no body from it
        key = next((k for k in (str(status), f"{str(status)[0]}XX") if k in types), None)
        if key is None:
            code = _error_code(body)
            named = f" for error_code {code}" if code else ""
            undeclared = f"status {status} is not declared (declared: {', '.join(sorted(types))}){named}"
            model = _error_models().get(code or "")
            return [undeclared, *(self._refusals(model, body) if model else [])]
        model = types[key]
        if model is None:
            return ["a 204 carries a body"] if status == 204 and body else []
        return self._refusals(model, body)

    def _refusals(self, model: str, body: bytes) -> list[str]:
        try:
            if model in LOST_MAPS:
                _parse_with_lost_map(self._client, model, body)
            else:
                self._client.deserialize(body.decode(), model)  # type: ignore[no-untyped-call]
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            return [f"the client's {model} refuses it: {str(exc)[:600]}"]
        return []


def _parse_with_lost_map(client: moneykit.ApiClient, model: str, body: bytes) -> None:
    """Validate the answer with its map set aside, then each map value with the map's element model."""
    field, element = LOST_MAPS[model]
    parsed = orjson.loads(body)
    if not isinstance(parsed, dict) or not isinstance(parsed.get(field), dict):
        raise ValueError(f"{field} must be an object mapping ids to {element}")
    getattr(moneykit.models, model).model_validate({**parsed, field: None})
    for value in parsed[field].values():
        client.deserialize(orjson.dumps(value).decode(), element)  # type: ignore[no-untyped-call]


def _error_code(body: bytes) -> str | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    code = parsed.get("error_code") if isinstance(parsed, dict) else None
    return code if isinstance(code, str) else None


@functools.cache
def _error_models() -> dict[str, str]:
    """The client's error models by the one `error_code` each carries."""
    models: dict[str, str] = {}
    for name in dir(moneykit.models):
        model = getattr(moneykit.models, name)
        if isinstance(model, type) and issubclass(model, BaseModel) and "error_code" in model.model_fields:
            default = model.model_fields["error_code"].default
            if isinstance(default, str):
                models.setdefault(default, name)
    return models


def _literal_keywords(call: ast.Call) -> dict[str, object]:
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords
            if k.arg in ("method", "resource_path") and isinstance(k.value, ast.Constant)}  # fmt: skip


def _read_module(path: Path) -> list[tuple[str, str, str, dict[str, str | None]]]:
    """(method, path, operation, response types) of every API method in one client module."""
    tree = ast.parse(path.read_text())
    routes: dict[str, dict[str, object]] = {}
    types: dict[str, dict[str, str | None]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and getattr(inner.func, "attr", None) == "param_serialize":
                routes[node.name.removeprefix("_").removesuffix("_serialize")] = _literal_keywords(inner)
            if (isinstance(inner, ast.AnnAssign | ast.Assign) and isinstance(inner.value, ast.Dict)
                    and "_response_types_map" in ast.unparse(inner)):  # fmt: skip
                types.setdefault(node.name, ast.literal_eval(inner.value))
    return [(str(route["method"]), str(route["resource_path"]), name, types[name])
            for name, route in routes.items() if name in types]  # fmt: skip


@functools.cache
def load() -> MoneyKitDescription:
    operations: dict[tuple[str, str], MoneyKitOperation] = {}
    for module in sorted(Path(moneykit.api.__file__).parent.glob("*_api.py")):
        for method, template, name, response_types in _read_module(module):
            pattern = re.compile("^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(template)) + "/?$")
            operations[(method, template)] = MoneyKitOperation(
                method, template, name, response_types, pattern
            )
    return MoneyKitDescription(list(operations.values()))
