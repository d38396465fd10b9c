"""`GET /connect`: the hosted page end users link their bank in.

A static shell and two static files (no build step, no CDN, works offline); the script drives the
JSON steps in `api.py` with the link session token. The Content-Security-Policy allows nothing but
this origin's own script, style and requests (see `headers.py`, which sets it on every Connect response).

A token that names no session is a 404 page, one whose session expired or ended a 410 page (Gone: it
existed and will not come back, so the end user must go back to the app for a new one); both in HTML,
since a person reads them, and neither renders the token back.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.dependencies import caller_address
from gateway.collections.connect.csrf import token_for
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.errors import Conflict, NotFound
from gateway.institutions.catalog import get_institution
from gateway.links import connect
from gateway.links.connect import is_open
from gateway.links.sessions import session_by_token
from gateway.models.link import LinkSession
from gateway.state import get_app_state

router = APIRouter(tags=["connect"])

ASSETS = {
    "connect.js": "text/javascript; charset=utf-8",
    "return.js": "text/javascript; charset=utf-8",
    "widget-return.js": "text/javascript; charset=utf-8",
    "connect.css": "text/css; charset=utf-8",
}


def _page(title: str, head: str, main: str) -> str:
    """A Connect HTML page: the shared head (no referrer, Connect's stylesheet) around one `<main>`."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="/connect/assets/connect.css">
{head}</head>
<body>
{main}
</body>
</html>
"""


LOADING = '<p class="muted">Loading…</p>'
BANK_PAGE = _page(
    "{name}",
    "",
    '<main id="bank">\n<span class="mark" aria-hidden="true">{initial}</span>\n<h1>{name}</h1>\n'
    '<p class="muted">This is {name}\'s own page (simulated in the sandbox).</p>\n'
    "<p>An app wants to read your accounts and transactions through Linkgate. Allow it?</p>\n"
    '<form action="{callback}" method="get"><input type="hidden" name="state" value="{state}">'
    '<input type="hidden" name="consent" value="granted">'
    '<button type="submit" class="primary" autofocus>Allow</button></form>\n'
    '<form action="{callback}" method="get"><input type="hidden" name="state" value="{state}">'
    '<input type="hidden" name="consent" value="denied">'
    '<button type="submit" class="link">Deny</button></form>\n</main>',
)
RETURN_PAGE = _page(
    "Back to Connect",
    '<script src="/connect/assets/return.js" defer></script>\n',
    '<main id="connect-return" aria-live="polite">\n<h1>Taking you back…</h1>\n'
    '<p class="muted">If nothing happens, go back to the app you came from and start again.</p>\n</main>',
)
WIDGET_RETURN_PAGE = _page(
    "Back to Connect",
    '<script src="/connect/assets/widget-return.js" defer></script>\n',
    '<main id="connect-return" aria-live="polite">\n<h1>Finishing with your bank…</h1>\n'
    '<p class="muted">If nothing happens, go back to the app you came from and start again.</p>\n</main>',
)
PAGE = _page(
    "Connect your bank",
    '<script src="/connect/assets/connect.js" defer></script>\n',
    '<main id="connect" data-session="{token}" data-csrf="{csrf}" aria-live="polite">\n'
    f"{LOADING}\n</main>",
)
UNUSABLE_PAGE = _page(
    "This link has expired",
    "",
    '<main id="connect">\n<h1>This link has expired</h1>\n'
    "<p>{reason} Go back to the app you came from to start again.</p>\n</main>",
)
UNKNOWN_SESSION = "This Connect link is not valid: it was mistyped, or it is so old it was removed."
ENDED_SESSION = "This Connect link has expired or was already used."
NOT_WAITING = "This page came back from a bank this Connect link was not waiting for."
SECURITY_HEADERS = {"Cache-Control": "no-store"}
UNUSABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "The session is not waiting for this callback (an HTML page)"},
    404: {"description": "No such link session (an HTML page)"},
    410: {"description": "The link session expired or was used (an HTML page)"},
}


@router.get(
    "/connect",
    response_class=HTMLResponse,
    responses=UNUSABLE_RESPONSES,
)
async def connect_page(
    request: Request,
    link_session_token: Annotated[str, Query(min_length=1, max_length=100)],
    session: DbSession,
) -> HTMLResponse:
    """Connect for one open link session; an unknown, expired or used one gets a page saying so."""
    unusable = await _unusable_session_page(request, session, link_session_token)
    if unusable is not None:
        return unusable
    return HTMLResponse(_render(PAGE, request, link_session_token), headers=SECURITY_HEADERS)


async def _unusable_session_page(request: Request, session: AsyncSession, token: str) -> HTMLResponse | None:
    """The 404 or 410 page when `token` names no open session, else None. A token that names no session
    counts as a failed credential check of the caller's address, as on Connect's API; an expired or used
    one (a stale tab) does not."""
    throttle, address = get_app_state(request).auth.throttle, caller_address(request)
    await throttle.before_check(address)
    link_session = await session_by_token(session, token)
    if link_session is None:
        await throttle.failed(address)
    if link_session is not None and is_open(link_session):
        return None
    status, reason = (404, UNKNOWN_SESSION) if link_session is None else (410, ENDED_SESSION)
    return _unusable(status, reason)


@router.get("/connect/oauth/{institution_id}", response_class=HTMLResponse, responses=UNUSABLE_RESPONSES)
async def simulated_bank_consent(
    request: Request,
    institution_id: Annotated[str, Path(max_length=64)],
    state: Annotated[str, Query(min_length=1, max_length=1000)],
    session: DbSession,
) -> HTMLResponse:
    """The sandbox's stand-in for an OAuth bank's own consent page: Connect's redirect handoff sends the
    user here with its `state`, and the bank sends them back to `/connect/callback/sandbox` with it."""
    link_session = await _session_of_state(request, session, state)
    if isinstance(link_session, HTMLResponse):
        return link_session
    institution = await get_institution(session, institution_id)
    if institution is None or institution.provider != "sandbox" or not institution.is_oauth:
        raise NotFound("No such bank.")
    values = {"name": institution.name, "initial": institution.name[:1], "state": state,
              "callback": "/connect/callback/sandbox"}  # fmt: skip
    return HTMLResponse(_fill(BANK_PAGE, values), headers=SECURITY_HEADERS)


@router.get("/connect/callback/{provider}", response_class=HTMLResponse, responses=UNUSABLE_RESPONSES)
async def connect_callback(
    request: Request,
    provider: Annotated[str, Path(max_length=32)],
    session: DbSession,
    state: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    oauth_state_id: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
) -> HTMLResponse:
    """Where an upstream sends the end user back after consent (the redirect handoff): the handoff
    completes with the query it brought, and the page returns the user to Connect, which shows the next
    step or why consent failed. A bank's OAuth page inside an upstream's widget (Plaid Link) comes back
    with `oauth_state_id` instead: the page reopens the widget, which finishes in the browser."""
    if state is None:
        if oauth_state_id is None:
            return _unusable(404, UNKNOWN_SESSION)
        return HTMLResponse(WIDGET_RETURN_PAGE, headers=SECURITY_HEADERS)
    link_session = await _session_of_state(request, session, state)
    if isinstance(link_session, HTMLResponse):
        return link_session
    returned = {key: value[:2000] for key, value in list(request.query_params.items())[:20] if key != "state"}
    app_state = get_app_state(request)
    box = SecretBox(app_state.auth.master_key)
    try:
        await connect.complete_redirect(session, link_session, box, app_state.providers, provider, returned)
    except Conflict:  # another provider's callback, or a session past this step: a person reads the answer
        return _unusable(409, NOT_WAITING)
    return HTMLResponse(RETURN_PAGE, headers=SECURITY_HEADERS)


async def _session_of_state(
    request: Request, session: AsyncSession, state: str
) -> LinkSession | HTMLResponse:
    """The open session a redirect's state names, or the page saying it cannot continue (a state that
    was never sealed here counts as a failed credential check of the caller's address)."""
    throttle, address = get_app_state(request).auth.throttle, caller_address(request)
    await throttle.before_check(address)
    try:
        return await connect.session_of_state(
            session, SecretBox(get_app_state(request).auth.master_key), state
        )
    except connect.UnknownSession:
        await throttle.failed(address)
        return _unusable(404, UNKNOWN_SESSION)
    except connect.SessionUnusable:
        return _unusable(410, ENDED_SESSION)


def _unusable(status: int, reason: str) -> HTMLResponse:
    body = UNUSABLE_PAGE.replace("{reason}", html.escape(reason))
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", html.escape(value, quote=True))
    return template


def _render(template: str, request: Request, link_session_token: str) -> str:
    """The page with its link session token and that token's CSRF token, escaped."""
    return _fill(template, {"token": link_session_token, "csrf": token_for(request, link_session_token)})


@router.get("/connect/assets/{name}", include_in_schema=False)
async def connect_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound("No such file.")
    content = resources.files("gateway.collections.connect").joinpath("assets", name).read_bytes()
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=ASSETS[name], headers=headers)
