"""Adding a provider account with credentials: the Connect state machine, driven server-side.

The same server-side linking as MX members (`gateway.links.direct`): the login form's values go to the
institution, every offered account is granted and the link is connected, its first refresh a durable
job. A login that asks for MFA leaves the provider account USER_INPUT_REQUIRED with the MFA login form;
`PUT /providerAccounts` with the answers completes it (`answer_mfa`).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.collections.yodlee.errors import YodleeError
from gateway.crypto import SecretBox
from gateway.links.direct import answer_direct_challenge, pending_challenge, start_direct_link
from gateway.models.end_user import EndUser
from gateway.models.institution import Institution
from gateway.models.link import Link
from providers.registry import ProviderRegistry


async def link_with_credentials(
    session: AsyncSession,
    box: SecretBox,
    providers: ProviderRegistry,
    user: EndUser,
    institution: Institution,
    values: Mapping[str, str],
) -> Link:
    """A connected link for `user` at `institution`, its first refresh queued, or one waiting for an MFA
    answer; Y-errors for bad logins (raised, so the request's transaction and everything it began are
    rolled back)."""
    if institution.is_oauth:
        raise YodleeError("Y901", "Service not supported: this provider links through OAuth, not credentials")
    link = await start_direct_link(
        session, box, providers, app_id=user.app_id, end_user_id=user.id, institution=institution,
        credentials=values,
        products=list(institution.products),
    )  # fmt: skip
    if link.state == "error":
        raise YodleeError(
            "Y400", f"Login failed: the institution refused these credentials ({link.error_code})"
        )
    if link.state != "connected" and await pending_challenge(session, link) is None:
        raise YodleeError("Y901", "Service not supported: this login needs Connect")
    return link


async def answer_mfa(
    session: AsyncSession, box: SecretBox, providers: ProviderRegistry, link: Link, answers: Mapping[str, str]
) -> None:
    """Relay the answers to the link's MFA challenge: it connects (and refreshes), asks again, or fails
    (FAILED, INVALID_ADDL_INFO_PROVIDED); Y800 when no challenge is waiting."""
    if await pending_challenge(session, link) is None:
        raise YodleeError("Y800", "Invalid value for field: no MFA challenge is waiting for an answer")
    await answer_direct_challenge(session, box, providers, link, answers)
