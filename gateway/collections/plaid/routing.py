"""Plaid routes accept `Plaid-Version: 2020-09-14` (or none) and answer JSON with a `request_id`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response

from formats.plaid.render import API_VERSION
from gateway.auth.dependencies import SecuredRoute
from gateway.collections.plaid.errors import IncompatibleApiVersion
from gateway.middleware import current_request_id

VERSION_HEADER = "plaid-version"


class PlaidRoute(SecuredRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def versioned(request: Request) -> Response:
            requested = request.headers.get(VERSION_HEADER)
            if requested is not None and requested != API_VERSION:
                raise IncompatibleApiVersion(
                    f"Plaid-Version {requested!r} is not supported; this gateway speaks {API_VERSION}"
                )
            return await handler(request)

        return versioned


def plaid_response(body: dict[str, Any]) -> Response:
    """A 200 answer with the request's `request_id`, as every Plaid body has. Dates in `body` may be
    `date`s (written `YYYY-MM-DD`) and datetimes aware `datetime`s (UTC written with `Z`)."""
    body["request_id"] = current_request_id()
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), media_type="application/json")
