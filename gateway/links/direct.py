"""Linking with credentials and no browser: Connect's own steps, driven server-side.

For wire formats whose apps send the end user's credentials themselves (MX `POST /users/{u}/members`):

    start_direct_link ─► (challenge pending ─► answer_direct_challenge)* ─► connected, refreshed
    update_direct_credentials (same steps, for a link that exists; MX `PUT /users/{u}/members/{m}`)

The link row exists from the first call, so the app has a stable id while MFA is pending: the Connect
session runs as a reconnect of that link. When the provider connects, every offered account is granted
(a link given new credentials keeps the accounts it had) and the link is exchanged at once (a refresh
starts). A wrong password or answer leaves the link
in `error` with the provider's code (invalid_credentials, user_input_incorrect, ...) and ends the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.errors import Conflict
from gateway.links import connect
from gateway.links.connect import ConnectInputRejected
from gateway.links.repository import link_reader, organization_id_of, store_link
from gateway.links.service import link_service
from gateway.links.sessions import open_session_of_link, redeem_exchangeable_token
from gateway.models.base import utcnow
from gateway.models.institution import Institution
from gateway.models.link import Link, LinkSession
from providers.registry import ProviderRegistry

CHALLENGED = ("mfa_required",)


async def start_direct_link(
    session: AsyncSession,
    box: SecretBox,
    providers: ProviderRegistry,
    *,
    app_id: uuid.UUID,
    end_user_id: uuid.UUID,
    institution: Institution,
    credentials: Mapping[str, str],
    products: Sequence[str],
    organization: str | None = None,
) -> Link:
    """A new link for these credentials (of `organization`, none being the app's `default`): connected
    (and refreshing), `connecting` with a challenge pending (see `pending_challenge`), or in `error`
    when the institution refused them."""
    link = Link(
        id=uuid.uuid4(), app_id=app_id, end_user_id=end_user_id, institution_id=institution.id,
        provider=institution.provider, state="connecting", products=list(products),
        organization_id=await organization_id_of(session, app_id, organization),
    )  # fmt: skip
    await store_link(session, link)
    await _submit(session, box, providers, link, credentials)
    return link


async def update_direct_credentials(
    session: AsyncSession,
    box: SecretBox,
    providers: ProviderRegistry,
    link: Link,
    credentials: Mapping[str, str],
) -> None:
    """New credentials for an existing link: Connect runs again as a reconnect of it, and the link ends
    connected (a new refresh starts), `connecting` with a challenge pending, or in `error`. A challenge
    still waiting from an earlier attempt is dropped first, so it cannot be answered later."""
    while (
        stale := await open_session_of_link(session, link.app_id, link.id, connect.OPEN_STATES)
    ) is not None:
        stale.state, stale.used_at = "superseded", utcnow()
        await session.flush()
    await _submit(session, box, providers, link, credentials)


async def _submit(
    session: AsyncSession,
    box: SecretBox,
    providers: ProviderRegistry,
    link: Link,
    credentials: Mapping[str, str],
) -> None:
    token = await connect.create_session(
        session, app_id=link.app_id, end_user_id=link.end_user_id, redirect_uri=None, products=link.products,
        existing_link=link,
    )  # fmt: skip
    link_session = await connect.open_session(session, token)
    try:
        await connect.submit_credentials(session, link_session, box, providers, credentials)
    except ConnectInputRejected as exc:
        await _refused(session, link_session, link, exc.code)
        return
    if link_session.state in CHALLENGED:
        link.state = "connecting"  # the member shows its challenge until it is answered
        return
    await _finish_if_connected(session, link_session, link)


async def answer_direct_challenge(
    session: AsyncSession, box: SecretBox, providers: ProviderRegistry, link: Link, answers: Mapping[str, str]
) -> None:
    """Answer the link's pending challenge; `Conflict` when none is pending."""
    link_session = await open_session_of_link(session, link.app_id, link.id, CHALLENGED)
    if link_session is None:
        raise Conflict("There is no challenge waiting for an answer.")
    try:
        await connect.answer_challenge(session, link_session, box, providers, answers)
    except ConnectInputRejected as exc:
        await _refused(session, link_session, link, exc.code)
        return
    await _finish_if_connected(session, link_session, link)


async def pending_challenge(session: AsyncSession, link: Link) -> dict[str, Any] | None:
    """The prompts waiting for an answer (`{"kind", "prompts": [{"id", "text", "options"}]}`), if any."""
    if link.state != "connecting":
        return None
    link_session = await open_session_of_link(session, link.app_id, link.id, CHALLENGED)
    if link_session is None:
        return None
    challenge: dict[str, Any] | None = link_session.settings.get("challenge")
    return challenge


async def _finish_if_connected(session: AsyncSession, link_session: LinkSession, link: Link) -> None:
    if link_session.state != "choosing_accounts":
        return
    offered = [account["id"] for account in link_session.settings.get("accounts", [])]
    # A link that exists keeps the accounts it was granted (when the bank still offers any of them).
    kept = [account for account in offered if account in link.permitted_accounts]
    token = await connect.choose_accounts(session, link_session, kept or offered)
    redeemed = await redeem_exchangeable_token(session, link.app_id, token)
    assert redeemed == link.id
    await link_service.complete_exchange(
        session, await link_reader.require(session, link.app_id, link.id, for_update=True)
    )


async def _refused(session: AsyncSession, link_session: LinkSession, link: Link, error_code: str) -> None:
    await link_service.force_reconnect(session, link, error_code)
    await connect.cancel(session, link_session)  # the link is in error already: no second event
