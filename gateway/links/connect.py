"""The Connect state machine behind a link session, as services the hosted pages (and tests) call.

    created ─► institution_selected ─► (mfa_required ⇄) ─► choosing_accounts ─► completed ─► exchanged

A wrong password or code leaves the session where it was (the user may try again). The provider's
pending challenge is sealed at rest (for the sandbox it contains the expected answers); only the
prompts are ever shown. A session lives 30 minutes and completes once.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.errors import Conflict, InvalidRequest, Unauthenticated
from gateway.institutions.catalog import Route, get_institution, reached_institution, routes_of
from gateway.links.connection_state import open_state, seal_state
from gateway.links.repository import link_reader, organization_id_of
from gateway.links.service import link_service
from gateway.links.sessions import (
    SESSION_LIFETIME,
    new_exchangeable_token,
    session_by_token,
    token_hash,
)
from gateway.maintenance.queries import abandoned_sessions
from gateway.models.base import utcnow
from gateway.models.institution import Institution
from gateway.models.link import Link, LinkSession
from gateway.products.repository import product_repository
from gateway.upstreams.configuration import provider_configuration
from gateway.webhooks.events import publish_event
from providers.base import (
    ChallengeRequired,
    Connected,
    ConnectResult,
    CredentialsHandoff,
    Handoff,
    HandoffKind,
    HandoffRequest,
    NormalizedAccount,
    ProviderAdapter,
    ProviderError,
    ProviderState,
    ReconnectRequired,
    RedirectHandoff,
    TokenHandoff,
    WidgetHandoff,
)
from providers.registry import ProviderRegistry

OPEN_STATES = ("created", "institution_selected", "mfa_required", "choosing_accounts")


class SessionUnusable(Unauthenticated):
    code = "link_session_invalid"
    default_message = "This link session is unknown, expired or already used."


class UnknownSession(SessionUnusable):
    """No session has this token: a guess or a typo (counted against the caller's failure limit); an
    expired or used session is a stale tab, not a guess."""


class ConnectInputRejected(InvalidRequest):
    """The end user can fix this (wrong password, wrong code); the session stays where it was."""

    def __init__(self, message: str, *, error_code: str) -> None:
        super().__init__(message)
        self.code = error_code


def _context(link_session: LinkSession) -> bytes:
    return b"linkgate/connect-pending:" + str(link_session.id).encode()


STATE_CONTEXT = b"linkgate/connect-handoff-state"


def handoff_state(box: SecretBox, link_session: LinkSession) -> str:
    """The `state` a redirect takes to the upstream and brings back: the session's id, sealed, so it
    can be neither forged nor read, and it never carries the session token itself."""
    return box.encrypt(str(link_session.id).encode(), associated_data=STATE_CONTEXT)


async def session_of_state(session: AsyncSession, box: SecretBox, state: str) -> LinkSession:
    """The open session a redirect's `state` names; `UnknownSession` for one that was not sealed here
    (a forgery counts as a failed credential check), `SessionUnusable` for one that ended."""
    try:
        session_id = uuid.UUID(box.decrypt(state, associated_data=STATE_CONTEXT).decode())
    except ValueError:
        raise UnknownSession() from None
    link_session = await session.get(LinkSession, session_id)
    if link_session is None:
        raise UnknownSession()
    if not is_open(link_session):
        raise SessionUnusable()
    return link_session


async def create_session(
    session: AsyncSession,
    *,
    app_id: uuid.UUID,
    end_user_id: uuid.UUID,
    redirect_uri: str | None,
    products: Sequence[str],
    institution_id: str | None = None,
    existing_link: Link | None = None,
    webhook: str | None = None,
    webhook_format: str = "moneykit",
    tags: Sequence[str] = (),
    gateway_user: str | None = None,
    token: str | None = None,
    lifetime: timedelta = SESSION_LIFETIME,
    exchangeable_token_prefix: str | None = None,
    relink_completes: bool = False,
    metadata: Mapping[str, Any] | None = None,
    organization: str | None = None,
) -> str:
    """A session token. With `gateway_user` (Link Money's gateway entry) the link is connected when the
    user finishes, and the app learns of it from the events on its redirect, not from a token exchange.

    A collection may bring its own `token` (Plaid's `link-sandbox-<uuid>`, random) and ask for
    exchangeable tokens that look like its own (`exchangeable_token_prefix`, e.g. `public-sandbox-`).
    With `relink_completes` a relinked link is connected again when the user finishes, with no token
    exchange (Plaid's update mode). `metadata` is what the collection wants to show of the session later
    (Plaid's `/link/token/get`). A new link belongs to `organization` (the caller's token's; none is
    the app's `default`)."""
    token = token or "lst-" + secrets.token_urlsafe(32)
    chosen = existing_link.institution_id if existing_link is not None else institution_id
    settings: dict[str, Any] = {"webhook": webhook, "webhook_format": webhook_format, "tags": list(tags),
                                "institution_id": chosen, "gateway_user": gateway_user,
                                "exchangeable_token_prefix": exchangeable_token_prefix,
                                "relink_completes": relink_completes,
                                "metadata": dict(metadata or {}),
                                "organization_id": _organization_id(await organization_id_of(
                                    session, app_id, organization))}  # fmt: skip
    session.add(
        LinkSession(
            app_id=app_id,
            end_user_id=end_user_id,
            token_hash=token_hash(token),
            redirect_uri=redirect_uri,
            link_id=existing_link.id if existing_link else None,
            products=list(products),
            settings=settings,
            state="institution_selected" if chosen else "created",
            expires_at=utcnow() + lifetime,
        )  # fmt: skip
    )
    await session.flush()
    return token


def _organization_id(organization_id: uuid.UUID | None) -> str | None:
    return str(organization_id) if organization_id is not None else None


def is_open(link_session: LinkSession) -> bool:
    """Whether the session has neither expired nor ended."""
    return link_session.expires_at > utcnow() and link_session.state in OPEN_STATES


async def open_session(session: AsyncSession, token: str) -> LinkSession:
    link_session = await session_by_token(session, token)
    if link_session is None:
        raise UnknownSession()
    if not is_open(link_session):
        raise SessionUnusable()
    return link_session


async def choose_institution(
    session: AsyncSession, link_session: LinkSession, providers: ProviderRegistry, institution_id: str
) -> None:
    _expect(link_session, "created", "institution_selected")
    if link_session.link_id is not None:
        raise Conflict("Reconnecting goes back to the link's own institution.")
    institution = await get_institution(session, institution_id)
    if institution is None or not institution.is_offered:
        raise InvalidRequest("No such institution.")
    link_session.settings = {**link_session.settings, "institution_id": institution.id}
    link_session.settings = {key: v for key, v in link_session.settings.items() if key != "route"}
    await _route(session, link_session, providers)  # an institution none of the app's providers reach: 400
    link_session.state = "institution_selected"


async def _route(session: AsyncSession, link_session: LinkSession, providers: ProviderRegistry) -> Route:
    """How this session reaches its institution: the route chosen before, or now the best of those
    through the app's providers (a relink may so take another provider than the link had)."""
    stored = link_session.settings.get("route")
    if stored is not None:
        return Route(**stored)
    institution = await _institution(session, link_session)
    offered = await provider_configuration.offered(session, link_session.app_id, providers)
    best = (await routes_of(session, [institution.id], offered)).get(institution.id)
    if best is None:
        raise InvalidRequest("No such institution.")
    route = Route(best.provider, best.provider_institution_id, best.handoff)
    link_session.settings = {**link_session.settings, "route": vars(route)}
    return route


async def _adapter(
    session: AsyncSession, box: SecretBox, link_session: LinkSession, providers: ProviderRegistry, name: str
) -> ProviderAdapter:
    """The provider as the session's app uses it (its own keys, its mode's environment)."""
    return (await provider_configuration.scoped(session, box, link_session.app_id, providers)).get(name)


async def _repaired_connection(
    session: AsyncSession, box: SecretBox, link_session: LinkSession, route: Route
) -> ProviderState | None:
    """The connection of the link being repaired through its own provider (Plaid's update mode
    reopens the same Item), or None."""
    if link_session.link_id is None:
        return None
    link = await link_reader.require(session, link_session.app_id, link_session.link_id)
    if link.provider != route.provider or link.credentials_encrypted is None:
        return None
    return open_state(box, link.id, link.credentials_encrypted)


async def begin_handoff(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    return_url: str,
) -> Handoff:
    """What the end user does next at the chosen institution; a redirect's or widget's pending state is
    kept sealed in the session until they come back."""
    _expect(link_session, "institution_selected")
    route = await _route(session, link_session, providers)
    request = HandoffRequest(
        provider_institution_id=route.provider_institution_id, return_url=return_url,
        state=handoff_state(box, link_session), products=tuple(link_session.products),
        user_id=str(link_session.end_user_id),
        connection=await _repaired_connection(session, box, link_session, route),
    )  # fmt: skip
    adapter = await _adapter(session, box, link_session, providers, route.provider)
    handoff: Handoff = await _ask(adapter.begin(request))
    settings = {key: value for key, value in link_session.settings.items() if key != "handoff_error"}
    if isinstance(handoff, RedirectHandoff | WidgetHandoff):
        pending = json.dumps(dict(handoff.pending)).encode()
        settings["pending"] = box.encrypt(pending, associated_data=_context(link_session))
    link_session.settings = settings
    return handoff


async def provider_of(session: AsyncSession, link_session: LinkSession, providers: ProviderRegistry) -> str:
    """The provider the session reaches its chosen institution through."""
    return (await _route(session, link_session, providers)).provider


async def complete_redirect(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    provider: str,
    returned: Mapping[str, str],
) -> None:
    """The end user came back from the upstream with `returned` (the callback's query): the handoff
    completes, or the session stays where it was with the reason kept for Connect to show."""
    await _complete_returned(session, link_session, box, providers, provider, "redirect", returned)


async def complete_widget(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    result: Mapping[str, str],
) -> None:
    """The upstream's own UI finished inside Connect with `result` (Plaid Link's `public_token`): the
    handoff completes, or the session stays where it was with the reason kept for Connect to show."""
    provider = (await _route(session, link_session, providers)).provider
    await _complete_returned(session, link_session, box, providers, provider, "widget", result)


async def _complete_returned(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    provider: str,
    kind: HandoffKind,
    returned: Mapping[str, str],
) -> None:
    _expect(link_session, "institution_selected")
    institution = await _institution(session, link_session)
    route = await _route(session, link_session, providers)
    sealed = link_session.settings.get("pending")
    if route.provider != provider or route.handoff != kind or sealed is None:
        raise Conflict(f"This session is not waiting for a {kind} to finish.")
    pending = json.loads(box.decrypt(sealed, associated_data=_context(link_session)))
    adapter = await _adapter(session, box, link_session, providers, provider)
    try:
        outcome = await _ask(adapter.complete(route.provider_institution_id, pending, returned))
    except ConnectInputRejected as exc:
        link_session.settings = {**link_session.settings, "handoff_error": str(exc)}
        return
    await _advance(session, link_session, box, providers, institution, route, outcome)


async def submit_credentials(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    credentials: Mapping[str, str],
    *,
    kind: HandoffKind | None = None,
) -> None:
    """Complete the handoff with what the end user submitted: a login (`credentials`) or a pasted token
    (`token`), the institution's handoff being of that `kind` when one is named (the API-driven
    collections name none: their apps send whichever fields the institution asks for). A redirect or
    widget institution is never completed here: it comes back through its own callback."""
    _expect(link_session, "institution_selected")
    institution = await _institution(session, link_session)
    route = await _route(session, link_session, providers)
    typed = (kind,) if kind is not None else ("credentials", "token")  # a redirect or widget is not typed
    if route.handoff not in typed:
        raise InvalidRequest(f"{institution.name} is not linked with a {kind or 'login or token'}.")
    adapter = await _adapter(session, box, link_session, providers, route.provider)
    outcome = await _ask(adapter.complete(route.provider_institution_id, {}, credentials))
    await _advance(session, link_session, box, providers, institution, route, outcome)


async def answer_challenge(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    answers: Mapping[str, str],
) -> None:
    _expect(link_session, "mfa_required")
    institution = await _institution(session, link_session)
    route = await _route(session, link_session, providers)
    pending = json.loads(
        box.decrypt(link_session.settings["pending"], associated_data=_context(link_session))
    )
    adapter = await _adapter(session, box, link_session, providers, route.provider)
    outcome = await _ask(adapter.answer(pending, answers))
    await _advance(session, link_session, box, providers, institution, route, outcome)


async def choose_accounts(
    session: AsyncSession, link_session: LinkSession, account_ids: Sequence[str]
) -> str:
    """Grant the chosen accounts; returns the exchangeable token the app trades for the link."""
    _expect(link_session, "choosing_accounts")
    offered = {account["id"] for account in link_session.settings.get("accounts", [])}
    chosen = list(dict.fromkeys(account_ids))
    if not chosen or not set(chosen) <= offered:
        raise InvalidRequest("Choose at least one of the offered accounts.")
    assert link_session.link_id is not None
    link = await link_reader.require(session, link_session.app_id, link_session.link_id)
    link_service.await_exchange(link, products=link_session.products, permitted_accounts=chosen)
    if link_session.settings.get("relink_completes") and link_session.settings.get("relinking"):
        await link_service.complete_exchange(session, link)
    token = new_exchangeable_token(link_session.settings.get("exchangeable_token_prefix"))
    link_session.exchangeable_token_hash = token_hash(token)
    link_session.state, link_session.used_at = "completed", utcnow()
    return token


async def connect_for_gateway(session: AsyncSession, link_session: LinkSession) -> list[dict[str, Any]]:
    """Link Money's gateway entry: the finished session's link is connected now (no exchange), and the
    events for the app's redirect describe it."""
    assert link_session.link_id is not None
    link = await link_reader.require(session, link_session.app_id, link_session.link_id, for_update=True)
    await link_service.complete_exchange(session, link)
    link_session.exchanged_at = utcnow()
    institution = await _institution(session, link_session)
    offered = {account["id"]: account for account in link_session.settings.get("accounts", [])}
    accounts = [
        {"account_id": offered[i]["id"], "name": offered[i]["name"], "mask": offered[i]["mask"],
         "type": offered[i]["type"], "balances": offered[i]["balances"]}
        for i in link.permitted_accounts if i in offered
    ]  # fmt: skip
    place = {"name": institution.name, "institution_id": institution.id}
    user = link_session.settings["gateway_user"]
    return [{"user_id": user, "item_id": str(link.id), "institution": place, "accounts": accounts}]


def _balances(account: NormalizedAccount) -> dict[str, Any]:
    def number(value: Decimal | None) -> float | None:
        return float(value) if value is not None else None

    return {"current": number(account.balance_current), "available": number(account.balance_available),
            "limit": number(account.balance_limit), "iso_currency_code": account.currency}  # fmt: skip


async def cancel(session: AsyncSession, link_session: LinkSession) -> None:
    """The end user left: the session ends, and a link it had begun connecting is in `error`/`user_error`."""
    _expect(link_session, *OPEN_STATES)
    await _end(session, link_session, "cancelled")


async def expire_abandoned(session: AsyncSession, limit: int = 200) -> int:
    """Sessions whose 30 minutes ran out mid-flow end like a cancel; returns how many."""
    sessions = await abandoned_sessions(session, OPEN_STATES, limit)
    for link_session in sessions:
        await _end(session, link_session, "expired")
    return len(sessions)


async def _end(session: AsyncSession, link_session: LinkSession, state: str) -> None:
    link_session.state, link_session.used_at = state, utcnow()
    if link_session.link_id is None:
        return
    link = await link_reader.require(session, link_session.app_id, link_session.link_id, for_update=True)
    if link.state in ("connecting", "awaiting_token_exchange"):
        await link_service.force_reconnect(session, link, "user_error")


def view(link_session: LinkSession) -> dict[str, Any]:
    """What the pages show: never the sealed challenge, never another session's data."""
    settings = link_session.settings
    return {
        "state": link_session.state,
        "institution_id": settings.get("institution_id"),
        "products": link_session.products,
        "challenge": settings.get("challenge"),
        "accounts": settings.get("accounts"),
        "handoff_error": settings.get("handoff_error"),
        "expires_at": link_session.expires_at.isoformat(),
        "redirect_uri": link_session.redirect_uri,
        "client_state": link_session.client_state,
    }


def handoff_view(handoff: Handoff) -> dict[str, Any]:
    """What Connect needs to render a handoff; a redirect's or widget's pending state stays sealed."""
    if isinstance(handoff, CredentialsHandoff):
        return {"kind": handoff.kind, "fields": [vars(field) for field in handoff.fields]}
    if isinstance(handoff, TokenHandoff):
        return {"kind": handoff.kind, "label": handoff.label, "help_text": handoff.help_text,
                "help_url": handoff.help_url}  # fmt: skip
    if isinstance(handoff, RedirectHandoff):
        return {"kind": handoff.kind, "url": handoff.url}
    return {"kind": handoff.kind, "script_url": handoff.script_url, "options": dict(handoff.options)}


def _expect(link_session: LinkSession, *states: str) -> None:
    if link_session.state not in states:
        raise Conflict(f"The session is {link_session.state}; this step needs {' or '.join(states)}.")


async def _institution(session: AsyncSession, link_session: LinkSession) -> Institution:
    institution = await get_institution(session, str(link_session.settings.get("institution_id")))
    assert institution is not None
    return institution


async def _ask(call: Any) -> Any:
    """An adapter's answer; what the end user can act on comes back as a message for Connect, and an
    upstream that cannot be used just now as one that says so (nothing is stored either way)."""
    try:
        result = await call
    except ReconnectRequired as exc:
        raise ConnectInputRejected(str(exc), error_code=exc.error_code) from exc
    except ProviderError as exc:
        raise ConnectInputRejected(
            "The institution could not be reached just now. Try again in a few minutes.",
            error_code="institution_error",
        ) from exc
    return result


async def _advance(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    institution: Institution,
    route: Route,
    outcome: ConnectResult,
) -> None:
    if isinstance(outcome, ChallengeRequired):
        prompts = [
            {"id": p.id, "text": p.text, "options": list(p.options)} for p in outcome.challenge.prompts
        ]
        sealed = box.encrypt(
            json.dumps(dict(outcome.pending)).encode(), associated_data=_context(link_session)
        )
        challenge = {"kind": outcome.challenge.kind, "prompts": prompts}
        link_session.settings = {**link_session.settings, "pending": sealed, "challenge": challenge}
        link_session.state = "mfa_required"
        return
    await _connected(session, link_session, box, providers, institution, route, outcome)


async def _connected(
    session: AsyncSession,
    link_session: LinkSession,
    box: SecretBox,
    providers: ProviderRegistry,
    institution: Institution,
    route: Route,
    connection: Connected,
) -> None:
    """The provider accepted: read the accounts to offer first (a failure there stores nothing), then
    make the link (or give the one being repaired its new connection)."""
    accounts = connection.accounts
    if accounts is None:
        adapter = await _adapter(session, box, link_session, providers, route.provider)
        accounts = await _ask(adapter.accounts(connection.state))
    if connection.institution is not None:  # the bank the upstream reached names the link
        institution = await reached_institution(session, institution, connection.institution, route.provider)
    if link_session.link_id is not None:  # reconnecting: the same link, new credentials
        link = await link_reader.require(session, link_session.app_id, link_session.link_id)
        if link.state == "error":
            await publish_event(session, app_id=link.app_id, link=link, event_type="link.login_repaired",
                                payload={"error": link.error_code})  # fmt: skip
        link_session.settings = {**link_session.settings, "relinking": True}
        if link.provider != route.provider:  # another route to the same bank: the link outlives it
            renamed = await product_repository.adopt_accounts(session, link.app_id, link.id, accounts)
            link.permitted_accounts = [renamed.get(old, old) for old in link.permitted_accounts]
            link.handover_from = link.handover_from or link.provider
            link.provider, link.transactions_cursor = route.provider, None
        link.provider_link_id = connection.provider_link_id
        link.credentials_encrypted = seal_state(box, link.id, connection.state)
        link.state = "connecting"
    else:
        link = await link_service.create(
            session, box=box, app_id=link_session.app_id, end_user_id=link_session.end_user_id,
            institution=institution, connection=connection, products=link_session.products,
            state="connecting", provider=route.provider,
        )  # fmt: skip
        link_session.link_id = link.id
        if link_session.settings.get("organization_id"):
            link.organization_id = uuid.UUID(link_session.settings["organization_id"])
    if link_session.settings.get("webhook"):
        link.webhook_uri = link_session.settings["webhook"]
        link.webhook_format = link_session.settings.get("webhook_format", "moneykit")
    if link_session.settings.get("tags"):
        link.tags = list(link_session.settings["tags"])
    offered = [{"id": a.provider_account_id, "name": a.name, "type": f"{a.type}.{a.subtype}", "mask": a.mask,
                "balances": _balances(a)} for a in accounts]  # fmt: skip
    settings = {
        key: value for key, value in link_session.settings.items() if key not in ("pending", "challenge")
    }
    link_session.settings = {**settings, "accounts": offered}
    link_session.state = "choosing_accounts"
