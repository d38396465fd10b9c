"""`GET /connect`: the hosted page end users link their bank in.

A static shell and two static files (no build step, no CDN, works offline); the script drives the
JSON steps in `api.py` with the link session token. The Content-Security-Policy allows nothing but
this origin's own script, style and requests.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from gateway.collections.connect.csrf import token_for
from gateway.errors import NotFound

router = APIRouter(tags=["connect"])

ASSETS = {
    "connect.js": "text/javascript; charset=utf-8",
    "bank.js": "text/javascript; charset=utf-8",
    "connect.css": "text/css; charset=utf-8",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'"
)
BANK_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sign in to your bank</title>
<link rel="stylesheet" href="/connect/assets/connect.css">
<script src="/connect/assets/bank.js" defer></script>
</head>
<body>
<main id="bank" data-session="{token}" data-csrf="{csrf}" data-institution="{institution}" aria-live="polite">
<p class="muted">Loading…</p>
</main>
</body>
</html>
"""
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Connect your bank</title>
<link rel="stylesheet" href="/connect/assets/connect.css">
<script src="/connect/assets/connect.js" defer></script>
</head>
<body>
<main id="connect" data-session="{token}" data-csrf="{csrf}" aria-live="polite">
<p class="muted">Loading…</p>
</main>
</body>
</html>
"""
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/connect", response_class=HTMLResponse)
async def connect_page(
    request: Request, link_session_token: Annotated[str, Query(min_length=1, max_length=100)]
) -> HTMLResponse:
    """Connect for one link session; the session itself is checked by the first JSON step."""
    return HTMLResponse(_render(PAGE, request, link_session_token), headers=SECURITY_HEADERS)


@router.get("/connect/oauth/{institution_id}", response_class=HTMLResponse)
async def simulated_bank_consent(
    request: Request,
    institution_id: Annotated[str, Path(max_length=64)],
    link_session_token: Annotated[str, Query(min_length=1, max_length=100)],
) -> HTMLResponse:
    """The sandbox's stand-in for an OAuth bank's own consent page: Connect sends the user here and the
    bank sends them back to Connect."""
    body = _render(BANK_PAGE, request, link_session_token, institution=institution_id)
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def _render(template: str, request: Request, link_session_token: str, **values: str) -> str:
    """The page with its link session token, that token's CSRF token and any other values, escaped."""
    values |= {"token": link_session_token, "csrf": token_for(request, link_session_token)}
    for name, value in values.items():
        template = template.replace("{" + name + "}", html.escape(value, quote=True))
    return template


@router.get("/connect/assets/{name}", include_in_schema=False)
async def connect_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound("No such file.")
    content = resources.files("gateway.collections.connect").joinpath("assets", name).read_bytes()
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=ASSETS[name], headers=headers)
