"""The fake Bridge's HTTP surface: the 4 endpoints of a SimpleFIN Server under a root path (spec §1, §10.1),
plus the custom-currency URLs its accounts may name (spec §6.4)."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from tests.fakes.simplefin.models import Endpoint, Fault
from tests.fakes.simplefin.state import FORBIDDEN_CLAIM, BridgeState, Refusal

DEFAULT_ROOT_PATH = "/simplefin"
CLOUDFLARE_PAGES = {
    Fault.CLOUDFLARE_403: (
        403,
        "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
        "<body><h1>Sorry, you have been blocked</h1></body></html>",
    ),
    Fault.CLOUDFLARE_429: (
        429,
        "<!DOCTYPE html><html><head><title>Access denied | Cloudflare</title></head>"
        "<body><h1>Error 1015</h1><p>You are being rate limited</p></body></html>",
    ),
}
GARBAGE_BODIES: dict[Endpoint, str] = {
    "claim": "<html><body>Welcome to SimpleFIN Bridge</body></html>",
    "accounts": '{"errors": [], "accounts": [{"id": "ACT-',
}
GARBAGE_DEFAULT = "<html><body>Temporarily unavailable</body></html>"

Responder = Callable[[], Response]


def build_bridge_app(state: BridgeState, root_path: str = DEFAULT_ROOT_PATH) -> Starlette:
    """An ASGI app serving `state`; the endpoints live under `root_path` (the Bridge's is `/simplefin`)."""
    handlers = _Handlers(state)
    routes = [
        Route("/info", handlers.info, methods=["GET"]),
        Route("/create", handlers.create, methods=["GET"]),
        Route("/claim/{code}", handlers.claim, methods=["POST"]),
        Route("/accounts", handlers.accounts, methods=["GET"]),
        Route("/currencies/{code}", handlers.currency, methods=["GET"]),
    ]
    # The Bridge sits behind Cloudflare, which compresses what clients accept compressed (spec §7).
    compressed = [Middleware(GZipMiddleware, minimum_size=200)]
    return Starlette(routes=[Mount(root_path.rstrip("/"), routes=routes)], middleware=compressed)


class _Handlers:
    def __init__(self, state: BridgeState) -> None:
        self.state = state

    async def info(self, request: Request) -> Response:
        """`{"versions": [...]}` without authentication (spec §4)."""
        return await self._answer(
            request, "info", lambda: JSONResponse({"versions": list(self.state.settings.info_versions)})
        )

    async def create(self, request: Request) -> Response:
        """A page showing a freshly minted setup token (spec §10.2; a real server would log the user in)."""

        def page() -> Response:
            token = self.state.mint_setup_token().token
            return HTMLResponse(
                "<!DOCTYPE html><html><body><p>Copy this SimpleFIN Token into the application:</p>"
                f'<pre id="simplefin-token">{html.escape(token)}</pre></body></html>'
            )

        return await self._answer(request, "create", page)

    async def claim(self, request: Request) -> Response:
        """200 text/plain access URL once per code; 403 for an unknown or used code (spec §2). The body is
        ignored, so `Content-Length: 0` and no body at all both work."""

        def answer() -> Response:
            access_url = self.state.claim(request.path_params["code"])
            if access_url is None:
                return PlainTextResponse(FORBIDDEN_CLAIM, status_code=403)
            newline = "\n" if self.state.settings.claim_trailing_newline else ""
            return PlainTextResponse(access_url + newline)

        return await self._answer(request, "claim", answer)

    async def accounts(self, request: Request) -> Response:
        def answer() -> Response:
            outcome = self.state.answer_accounts(
                request.headers.get("authorization"), request.query_params.multi_items()
            )
            if isinstance(outcome, Refusal):
                return PlainTextResponse(outcome.text, status_code=outcome.status)
            return JSONResponse(outcome)

        return await self._answer(request, "accounts", answer)

    async def currency(self, request: Request) -> Response:
        """`{"name", "abbr"}` of a custom currency (spec §6.4)."""

        def answer() -> Response:
            currency = self.state.custom_currency(request.path_params["code"])
            if currency is None:
                return PlainTextResponse("Not Found", status_code=404)
            return JSONResponse({"name": currency.name, "abbr": currency.abbr})

        return await self._answer(request, "currency", answer)

    async def _answer(self, request: Request, endpoint: Endpoint, respond: Responder) -> Response:
        """Apply an injected fault if there is one, else `respond`; record the request either way."""
        username = self.state.username_of(request.headers.get("authorization"))
        query = request.query_params.multi_items()
        fault = self.state.fault_for(endpoint)
        if fault is Fault.HANG:
            self.state.record(endpoint, request.method, query, username, None)
            return await self._hang()
        if fault is Fault.CLOUDFLARE_403 or fault is Fault.CLOUDFLARE_429:
            status, page = CLOUDFLARE_PAGES[fault]
            response: Response = HTMLResponse(page, status_code=status)
        elif fault is Fault.GARBAGE:
            body = GARBAGE_BODIES.get(endpoint, GARBAGE_DEFAULT)
            media_type = "application/json" if endpoint == "accounts" else "text/plain"
            response = Response(body, media_type=media_type)
        else:
            await request.body()
            response = respond()
        self.state.record(endpoint, request.method, query, username, response.status_code)
        return response

    async def _hang(self) -> Response:
        """Hold the request until the server shuts down (the client is expected to time out first)."""
        number = self.state.hang_started()
        try:
            await asyncio.to_thread(self.state.wait_for_hung_requests_release)
        finally:
            self.state.hang_ended(number)
        return PlainTextResponse("Service Unavailable", status_code=503)
