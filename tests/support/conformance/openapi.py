"""Judging responses (and, for OpenAPI 3.0, requests) against an OpenAPI 3.0 or Swagger 2.0 description
(Plaid, MX, Yodlee)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.support.processes import PROJECT_ROOT

SPECS = PROJECT_ROOT.parent / "shared" / "specs" / "openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class Operation:
    """One (method, path template) of a description, and where it lives in the document."""

    method: str
    template: str
    pointer: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("operationId") or f"{self.method.upper()} {self.template}")


class Description:
    """A loaded description: finds the operation of a request and judges a response to it."""

    def __init__(self, name: str, document: dict[str, Any]) -> None:
        self.name = name
        self.document = document
        self.swagger = "swagger" in document
        self._urn = f"urn:linkgate-conformance:{name}"
        self._registry: Registry[Any] = Registry().with_resource(
            self._urn, Resource.from_contents(document, default_specification=DRAFT4)
        )
        self._routes = sorted(
            (self._route(template, method, spec) for template, item in document["paths"].items()
             for method, spec in item.items() if method in METHODS),
            key=lambda route: route[0],
        )  # fmt: skip

    def _route(
        self, template: str, method: str, spec: dict[str, Any]
    ) -> tuple[int, re.Pattern[str], Operation]:
        pattern = re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(template))
        pointer = f"/paths/{_escape(template)}/{method}"
        # Literal segments win over parameters: /institutions/favorites before /institutions/{code}.
        return template.count("{"), re.compile(f"^{pattern}/?$"), Operation(method, template, pointer, spec)

    def operation(self, method: str, path: str) -> Operation | None:
        method = method.lower()
        for _, pattern, operation in self._routes:
            if operation.method == method and pattern.match(path):
                return operation
        return None

    def has_path(self, path: str) -> bool:
        return any(pattern.match(path) for _, pattern, _ in self._routes)

    def problems(self, operation: Operation, status: int, content_type: str, body: bytes) -> list[str]:
        """What is wrong with this response to `operation` (empty when it conforms)."""
        responses: dict[str, Any] = operation.spec.get("responses", {})
        key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
        if key is None:
            return [f"status {status} is not declared (declared: {', '.join(sorted(responses))})"]
        if status == 204 and body:
            return ["a 204 carries a body"]
        pointer = self._schema_pointer(operation, key, responses[key], content_type)
        if pointer is None:
            return []
        try:
            instance = orjson.loads(body)
        except orjson.JSONDecodeError:
            return [f"the body is not JSON: {body[:120]!r}"]
        validator = OAS30ReadValidator(
            {"$ref": f"{self._urn}#{pointer}"}, registry=self._registry, format_checker=oas30_format_checker
        )
        return [_describe(error) for error in validator.iter_errors(instance)]

    def component_problems(self, schema: str, instance: Any) -> list[str]:
        """What is wrong with `instance` as the named schema of `components/schemas` (e.g. a webhook)."""
        pointer = f"/components/schemas/{_escape(schema)}"
        validator = OAS30ReadValidator(
            {"$ref": f"{self._urn}#{pointer}"}, registry=self._registry, format_checker=oas30_format_checker
        )
        return [_describe(error) for error in validator.iter_errors(instance)]

    def request_problems(
        self, operation: Operation, headers: Mapping[str, str], body: Any, *, body_credentials: bool = False
    ) -> list[str]:
        """What is wrong with a request to `operation` (OpenAPI 3.0 only): its JSON `body` judged by the
        requestBody schema, with fields the schema does not declare reported even where the schema leaves
        `additionalProperties` open by omission; and whether the header-borne security requirements
        (`apiKey` in `header`) are met by `headers` (any letter case). With `body_credentials`, header
        schemes whose name ends in CLIENT-ID / SECRET may instead be met by body fields `client_id` /
        `secret` (Plaid documents both)."""
        problems = self._security_problems(operation, headers, body, body_credentials)
        content = (operation.spec.get("requestBody") or {}).get("content") or {}
        if "application/json" not in content or "schema" not in content["application/json"]:
            return problems
        pointer = f"{operation.pointer}/requestBody/content/application~1json/schema"
        validator = OAS30WriteValidator(
            {"$ref": f"{self._urn}#{pointer}"}, registry=self._registry, format_checker=oas30_format_checker
        )
        problems += [_describe(error) for error in validator.iter_errors(body)]
        problems += _undeclared(self.document, content["application/json"]["schema"], body, "")
        return problems

    def _security_problems(
        self, operation: Operation, headers: Mapping[str, str], body: Any, body_credentials: bool
    ) -> list[str]:
        requirements: list[dict[str, Any]] = operation.spec.get("security", self.document.get("security", []))
        if not requirements:
            return []
        schemes: dict[str, Any] = self.document.get("components", {}).get("securitySchemes", {})
        present = {name.lower() for name in headers}
        body_fields = set(body) if isinstance(body, dict) and body_credentials else set()
        unmet_per_option: list[list[str]] = []
        for requirement in requirements:
            unmet = [
                name for name in requirement
                if not _scheme_met(schemes.get(name, {}), present, body_fields)
            ]  # fmt: skip
            if not unmet:
                return []
            unmet_per_option.append(unmet)
        described = " or ".join(", ".join(unmet) for unmet in unmet_per_option)
        return [f"(headers): security requirement not met, missing {described}"]

    def _schema_pointer(
        self, operation: Operation, key: str, response: dict[str, Any], content_type: str
    ) -> str | None:
        base = f"{operation.pointer}/responses/{key}"
        if self.swagger:
            return f"{base}/schema" if "schema" in response else None
        content: dict[str, Any] = response.get("content") or {}
        media = content_type.split(";")[0].strip().lower()
        chosen = media if media in content else next(iter(content), None)
        if chosen is None or "schema" not in content[chosen]:
            return None
        return f"{base}/content/{_escape(chosen)}/schema"


def _scheme_met(scheme: dict[str, Any], headers: set[str], body_fields: set[str]) -> bool:
    if scheme.get("type") != "apiKey" or scheme.get("in") != "header":
        return True  # only header API keys are checked
    name = str(scheme.get("name", "")).lower()
    if name in headers:
        return True
    alternative = "client_id" if name.endswith("client-id") else "secret" if name.endswith("secret") else None
    return alternative is not None and alternative in body_fields


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = target
    return schema


def _undeclared(document: dict[str, Any], schema: dict[str, Any], instance: Any, where: str) -> list[str]:
    """Fields of `instance` that `schema` does not name, at any depth (allOf parts pooled; anyOf/oneOf
    branches are not entered)."""
    schema = _resolve(document, schema)
    parts = [schema] + [_resolve(document, part) for part in schema.get("allOf", [])]
    if isinstance(instance, list):
        items = next((part["items"] for part in parts if "items" in part), None)
        if items is None:
            return []
        return [
            problem
            for n, item in enumerate(instance)
            for problem in _undeclared(document, items, item, f"{where}/{n}")
        ]
    if not isinstance(instance, dict):
        return []
    properties: dict[str, Any] = {}
    for part in parts:
        properties.update(part.get("properties", {}))
    open_ended = any(part.get("additionalProperties") not in (None, False) for part in parts)
    problems: list[str] = []
    for key, value in instance.items():
        if key in properties:
            problems += _undeclared(document, properties[key], value, f"{where}/{key}")
        elif not open_ended and properties:
            problems.append(f"{where.lstrip('/') or '(body)'}: undeclared field {key!r}")
    return problems


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _describe(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "(body)"
    return f"{where}: {error.message[:300]}"


@functools.cache
def load(filename: str) -> Description:
    """A description from the shared specs, loaded once per test session."""
    with Path(SPECS / filename).open() as handle:
        document = yaml.load(handle, Loader=yaml.CSafeLoader)
    for item in document["paths"].values():
        for method in METHODS:
            if method in item:  # Swagger files write statuses as integers; JSON pointers need strings.
                item[method]["responses"] = {str(k): v for k, v in item[method].get("responses", {}).items()}
    return Description(filename.split("-")[0], document)
