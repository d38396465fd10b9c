"""MoneyKit routes negotiate `MoneyKit-Version` (only 2023-02-18 exists) and echo it on every answer.

An endpoint marked with `answers_bad_input_with` answers input it cannot accept (a request that fails
validation, or a generic input error its handler raises) with the error MoneyKit's client declares for
that operation; unmarked endpoints answer `api_error.request.validation_failed`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError

from formats.moneykit.render import API_VERSION
from gateway.auth.dependencies import SecuredRoute
from gateway.collections.moneykit.errors import (
    VERSION_HEADER,
    BadInput,
    UnsupportedVersion,
    is_bad_input,
)
from gateway.errors import GatewayError
from gateway.exception_handlers import from_validation_error

BAD_INPUT_ATTRIBUTE = "moneykit_bad_input"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def answers_bad_input_with(bad_input: BadInput) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint (below its route decorator): bad input becomes `bad_input(error)`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, BAD_INPUT_ATTRIBUTE, bad_input)
        return endpoint

    return mark


class MoneyKitRoute(SecuredRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        bad_input: BadInput | None = getattr(self.endpoint, BAD_INPUT_ATTRIBUTE, None)

        async def versioned(request: Request) -> Response:
            requested = request.headers.get(VERSION_HEADER)
            if requested is not None and requested != API_VERSION:
                raise UnsupportedVersion(
                    f"Unsupported MoneyKit-Version {requested!r}; this gateway speaks {API_VERSION}."
                )
            try:
                response = await handler(request)
            except RequestValidationError as exc:
                if bad_input is None:
                    raise
                raise bad_input(from_validation_error(request, exc)) from exc
            except GatewayError as exc:
                if bad_input is None or not is_bad_input(exc):
                    raise
                raise bad_input(exc) from exc
            response.headers[VERSION_HEADER] = API_VERSION
            return response

        return versioned
