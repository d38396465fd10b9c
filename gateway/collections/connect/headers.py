"""The security headers every Connect response carries: pages, assets, JSON steps and errors alike.

Set by one middleware rather than per route so an error page or a 404 from a router can never leave
without them. `frame-ancestors` says which sites may show Connect in an iframe: this origin only,
unless the operator lists the apps' origins in `LINKGATE_CONNECT_FRAME_ANCESTORS`; an upstream widget's
origin (Plaid Link's, when Plaid is enabled) may run its script and its frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONNECT_PREFIX = "/connect"


def content_security_policy(frame_ancestors: Sequence[str], widget_origins: Sequence[str] = ()) -> str:
    """Nothing but this origin, except the origins of upstream widgets Connect loads (Plaid Link's
    script), which may run scripts and show frames, and nothing wider."""
    widgets = "".join(f" {origin}" for origin in widget_origins)
    frames = f"frame-src{widgets}" if widgets else "frame-src 'none'"
    return (
        f"default-src 'none'; script-src 'self'{widgets}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; {frames}; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {' '.join(frame_ancestors)}"
    )


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL (a CSP source)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_connect_path(path: str) -> bool:
    path = "/" + path.lstrip("/")  # `//connect` reaches the same route once slashes are collapsed
    return path == CONNECT_PREFIX or path.startswith(CONNECT_PREFIX + "/")


class ConnectSecurityHeadersMiddleware:
    """Content-Security-Policy (with `frame-ancestors`), `nosniff` and `no-referrer` under `/connect`."""

    def __init__(
        self, app: ASGIApp, *, frame_ancestors: Sequence[str], widget_origins: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.headers = {
            "content-security-policy": content_security_policy(frame_ancestors, widget_origins),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_connect_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
