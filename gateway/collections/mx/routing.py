"""MX routes serve v20111101 only: `Accept` must name `application/vnd.mx.api.v1+json`, else 406 (as MX)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response

from formats.mx.render import MEDIA_TYPE
from gateway.auth.dependencies import SecuredRoute
from gateway.collections.mx.errors import NotAcceptable


def accepts_v1(header: str | None) -> bool:
    if not header:
        return False
    return any(part.split(";")[0].strip().lower() == MEDIA_TYPE for part in header.split(","))


class MxRoute(SecuredRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def negotiated(request: Request) -> Response:
            if not accepts_v1(request.headers.get("accept")):
                raise NotAcceptable()
            return await handler(request)

        return negotiated
