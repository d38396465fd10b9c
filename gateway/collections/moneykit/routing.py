"""MoneyKit routes negotiate `MoneyKit-Version` (only 2023-02-18 exists) and echo it on every answer."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response

from gateway.auth.dependencies import SecuredRoute
from gateway.collections.moneykit.errors import VERSION_HEADER, UnsupportedVersion
from providers.moneykit.render import API_VERSION


class MoneyKitRoute(SecuredRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def versioned(request: Request) -> Response:
            requested = request.headers.get(VERSION_HEADER)
            if requested is not None and requested != API_VERSION:
                raise UnsupportedVersion(
                    f"Unsupported MoneyKit-Version {requested!r}; this gateway speaks {API_VERSION}."
                )
            response = await handler(request)
            response.headers[VERSION_HEADER] = API_VERSION
            return response

        return versioned
