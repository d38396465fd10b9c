"""Adding a provider account with credentials: the Connect state machine, driven server-side.

Create a session for the user at the chosen institution, submit the login form's values, grant every
offered account and complete the exchange; the link is then connected and its first refresh runs as
a durable job. Logins that ask for MFA are refused honestly: this API cannot yet carry the challenge.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.collections.yodlee.errors import YodleeError
from gateway.crypto import SecretBox
from gateway.links import connect
from gateway.links.repository import link_reader
from gateway.links.service import link_service
from gateway.links.sessions import redeem_exchangeable_token
from gateway.models.end_user import EndUser
from gateway.models.institution import Institution
from gateway.models.link import Link


async def link_with_credentials(
    session: AsyncSession, box: SecretBox, user: EndUser, institution: Institution, values: Mapping[str, str]
) -> Link:
    """A connected link for `user` at `institution`, its first refresh queued; Y-errors for bad logins."""
    if institution.is_oauth:
        raise YodleeError("Y901", "Service not supported: this provider links through OAuth, not credentials")
    token = await connect.create_session(
        session, app_id=user.app_id, end_user_id=user.id, redirect_uri=None,
        products=list(institution.products), institution_id=institution.id, webhook_format="yodlee",
    )  # fmt: skip
    link_session = await connect.open_session(session, token)
    try:
        await connect.submit_credentials(session, link_session, box, values)
    except connect.ConnectInputRejected as exc:
        raise YodleeError("Y400", f"Login failed: {exc.message}") from exc
    if link_session.state == "mfa_required":  # the request fails, so nothing of the session is kept
        raise YodleeError(
            "Y901", "Service not supported: this login asks for multi-factor authentication, which "
            "/v2/yodlee cannot relay yet; link it through Connect",
        )  # fmt: skip
    offered = [account["id"] for account in link_session.settings.get("accounts", [])]
    exchangeable = await connect.choose_accounts(session, link_session, offered)
    link_id = await redeem_exchangeable_token(session, user.app_id, exchangeable)
    assert link_id is not None
    link = await link_reader.require(session, user.app_id, link_id, for_update=True)
    await link_service.complete_exchange(session, link)
    return link
