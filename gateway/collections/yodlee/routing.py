"""Yodlee routes require `Api-Version: 1.1` (401 Y016 otherwise) and answer JSON in UTF-8."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response

from gateway.auth.dependencies import SecuredRoute
from gateway.collections.yodlee.errors import YodleeError, missing_version

API_VERSION = "1.1"
VERSION_HEADER = "Api-Version"


class YodleeRoute(SecuredRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def versioned(request: Request) -> Response:
            requested = request.headers.get(VERSION_HEADER)
            if requested is None or not requested.strip():
                raise missing_version()
            if requested.strip() != API_VERSION:
                raise YodleeError("Y800", "Invalid value for Api-Version")
            return await handler(request)

        return versioned
