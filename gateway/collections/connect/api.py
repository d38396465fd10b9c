"""`/connect/api/session`: the JSON steps of Connect, authenticated by the link session token.

The hosted pages call these; a developer's own UI could too. Each answer is the session's view.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import Field

from gateway.auth.dependencies import LINK_SESSION_OPENAPI, SecuredRoute, caller_address, mark_authenticated
from gateway.collections.connect.csrf import require_csrf, token_for
from gateway.collections.routing import CollectionRouter
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.developers.schemas import StorableInput
from gateway.errors import Unauthenticated
from gateway.institutions.catalog import get_institution, list_institutions, routes_of
from gateway.links import connect
from gateway.models.institution import Institution, InstitutionRoute
from gateway.models.link import LinkSession
from gateway.state import get_app_state
from gateway.upstreams.configuration import provider_configuration
from gateway.upstreams.request_scope import offered_providers
from providers.registry import ProviderRegistry

router = CollectionRouter(prefix="/connect/api", tags=["connect"], route_class=SecuredRoute)

Text = Annotated[str, Field(max_length=500)]


class InstitutionChoice(StorableInput):
    institution_id: str = Field(min_length=1, max_length=64)


class Credentials(StorableInput):
    credentials: dict[Annotated[str, Field(max_length=64)], Text] = Field(max_length=10)


class SetupToken(StorableInput):
    token: str = Field(min_length=1, max_length=2048)


class WidgetResult(StorableInput):
    """What the upstream's own UI handed Connect on success (Plaid Link's `onSuccess` token)."""

    public_token: str = Field(min_length=1, max_length=512)


class Answers(StorableInput):
    answers: dict[Annotated[str, Field(max_length=64)], Text] = Field(min_length=1, max_length=10)


class AccountChoice(StorableInput):
    account_ids: list[Annotated[str, Field(max_length=255)]] = Field(min_length=1, max_length=100)


def _json(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})


async def _session(request: Request, session: DbSession) -> LinkSession:
    token = request.headers.get("link-session-token", "")
    if not token or len(token) > 100:
        raise Unauthenticated("Send the link session token in the Link-Session-Token header.")
    throttle, address = get_app_state(request).auth.throttle, caller_address(request)
    await throttle.before_check(address)
    try:
        link_session = await connect.open_session(session, token)
    except connect.UnknownSession:
        await throttle.failed(address)
        raise
    mark_authenticated(request)
    return link_session


async def _step_session(request: Request, session: DbSession) -> LinkSession:
    """The session for a step that changes it: the link session token and the page's CSRF token."""
    link_session = await _session(request, session)
    require_csrf(request, request.headers["link-session-token"])
    return link_session


def _box(request: Request) -> SecretBox:
    return SecretBox(get_app_state(request).auth.master_key)


def _providers(request: Request) -> ProviderRegistry:
    return get_app_state(request).providers


@router.get("/session", openapi_extra=LINK_SESSION_OPENAPI)
async def current_session(request: Request, session: DbSession) -> Response:
    """Where the session stands, with its institution (when chosen) and the `csrf_token` every `POST`
    step must send as `X-CSRF-Token`."""
    link_session = await _session(request, session)
    return _json(
        connect.view(link_session)
        | {"institution": await _chosen(request, session, link_session)}
        | {"csrf_token": token_for(request, request.headers["link-session-token"])}
    )


async def _chosen(request: Request, session: DbSession, link_session: LinkSession) -> dict[str, Any] | None:
    """The session's institution as Connect shows it, with the handoff of the route it takes."""
    chosen = link_session.settings.get("institution_id")
    institution = await get_institution(session, str(chosen)) if chosen else None
    if institution is None:
        return None
    offered = await provider_configuration.offered(session, link_session.app_id, _providers(request))
    return _institution(
        institution, (await routes_of(session, [institution.id], offered)).get(institution.id)
    )


def _institution(row: Institution, route: InstitutionRoute | None) -> dict[str, Any]:
    """An institution as Connect shows it: its handoff and fields are those of the route the app would
    take."""
    way = route if route is not None else row
    handoff, fields = way.handoff, way.credential_fields
    return {"institution_id": row.id, "name": row.name, "color": row.color, "is_featured": row.is_featured,
            "is_oauth": handoff == "redirect", "handoff": handoff, "credential_fields": fields}  # fmt: skip


@router.get("/institutions", openapi_extra=LINK_SESSION_OPENAPI)
async def institutions(
    request: Request, session: DbSession, query: Annotated[str | None, Query(max_length=100)] = None
) -> Response:
    """Institutions to pick from (featured ones first), with the fields their login form asks for."""
    link_session = await _session(request, session)
    offered = await offered_providers(request, session, link_session.app_id, searching=query)
    rows = await list_institutions(
        session, name=query, featured=None, after=None, limit=50, providers=offered
    )
    rows.sort(key=lambda row: (not row.is_featured, row.name))
    routes = await routes_of(session, [row.id for row in rows], offered)
    return _json({"institutions": [_institution(row, routes.get(row.id)) for row in rows]})


@router.post("/session/institution", openapi_extra=LINK_SESSION_OPENAPI)
async def choose_institution(body: InstitutionChoice, request: Request, session: DbSession) -> Response:
    link_session = await _step_session(request, session)
    await connect.choose_institution(session, link_session, _providers(request), body.institution_id)
    return _json(connect.view(link_session) | {"institution": await _chosen(request, session, link_session)})


@router.post("/session/handoff", openapi_extra=LINK_SESSION_OPENAPI)
async def begin_handoff(request: Request, session: DbSession) -> Response:
    """What the end user does at the chosen institution: a login form (`credentials`), a token to paste
    (`token`, with its label and where to get one), a page to visit and come back from (`redirect`)."""
    link_session = await _step_session(request, session)
    provider = await connect.provider_of(session, link_session, _providers(request))
    return_url = f"{get_app_state(request).settings.base_url.rstrip('/')}/connect/callback/{provider}"
    handoff = await connect.begin_handoff(
        session, link_session, _box(request), _providers(request), return_url
    )
    return _json(connect.view(link_session) | {"handoff": connect.handoff_view(handoff)})


@router.post("/session/credentials", openapi_extra=LINK_SESSION_OPENAPI)
async def submit_credentials(body: Credentials, request: Request, session: DbSession) -> Response:
    """Log in at the institution: answers with the next step (a challenge, or the accounts to choose from)."""
    link_session = await _step_session(request, session)
    await connect.submit_credentials(
        session, link_session, _box(request), _providers(request), body.credentials, kind="credentials"
    )
    return _json(connect.view(link_session))


@router.post("/session/token", openapi_extra=LINK_SESSION_OPENAPI)
async def submit_token(body: SetupToken, request: Request, session: DbSession) -> Response:
    """Paste the token the upstream gave the end user (SimpleFIN's setup token): answers with the
    accounts to choose from, or an error to show, with nothing stored."""
    link_session = await _step_session(request, session)
    await connect.submit_credentials(
        session, link_session, _box(request), _providers(request), {"token": body.token}, kind="token"
    )
    return _json(connect.view(link_session))


@router.post("/session/widget", openapi_extra=LINK_SESSION_OPENAPI)
async def complete_widget(body: WidgetResult, request: Request, session: DbSession) -> Response:
    """The upstream's own UI (Plaid Link) finished: its token is exchanged for the connection. Answers
    with the accounts to choose from, or an error to show, with nothing stored."""
    link_session = await _step_session(request, session)
    await connect.complete_widget(
        session, link_session, _box(request), _providers(request), {"public_token": body.public_token}
    )
    return _json(connect.view(link_session))


@router.post("/session/mfa", openapi_extra=LINK_SESSION_OPENAPI)
async def answer_challenge(body: Answers, request: Request, session: DbSession) -> Response:
    link_session = await _step_session(request, session)
    await connect.answer_challenge(session, link_session, _box(request), _providers(request), body.answers)
    return _json(connect.view(link_session))


@router.post("/session/accounts", openapi_extra=LINK_SESSION_OPENAPI)
async def choose_accounts(body: AccountChoice, request: Request, session: DbSession) -> Response:
    """Grant the chosen accounts and finish; the exchangeable token goes on to the app."""
    link_session = await _step_session(request, session)
    token = await connect.choose_accounts(session, link_session, body.account_ids)
    if link_session.settings.get("gateway_user") is not None:
        return _json(
            connect.view(link_session) | {"events": await connect.connect_for_gateway(session, link_session)}
        )
    return _json(connect.view(link_session) | {"exchangeable_token": token})


@router.post("/session/cancel", openapi_extra=LINK_SESSION_OPENAPI)
async def cancel(request: Request, session: DbSession) -> Response:
    """The end user closed Connect: the session ends; a link it had begun is left in `error`/`user_error`."""
    link_session = await _step_session(request, session)
    await connect.cancel(session, link_session)
    return _json(connect.view(link_session))
