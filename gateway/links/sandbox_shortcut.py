"""The sandbox shortcut: link a test institution without Connect, ready for the app's token exchange.

MoneyKit's `/sandbox/exchangeable-token` and Plaid's `/sandbox/public_token/create` both use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.errors import InvalidRequest
from gateway.links.service import link_service
from gateway.models.institution import Institution
from gateway.models.link import Link
from providers.base import ChallengeRequired, ReconnectRequired
from providers.sandbox.adapter import SandboxProvider

DEFAULT_CREDENTIALS = {
    "credentials": {"username": "user_good", "password": "pass_good"},
    "oauth": {"consent": "granted"},
}


class SandboxLoginRefused(InvalidRequest):
    """The test institution refused these credentials (`error_code` says how), or asked for MFA."""

    def __init__(self, message: str, *, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


async def link_sandbox_institution(
    session: AsyncSession,
    *,
    box: SecretBox,
    app_id: uuid.UUID,
    end_user_id: uuid.UUID,
    institution: Institution,
    products: Sequence[str],
    username: str | None = None,
    password: str | None = None,
) -> Link:
    """A link awaiting its token exchange, logged in with the given or the institution's good credentials."""
    credentials = dict(DEFAULT_CREDENTIALS["oauth" if institution.is_oauth else "credentials"])
    if username is not None or password is not None:
        credentials = {"username": username or "", "password": password or ""}
    try:
        result = await SandboxProvider().complete(institution.provider_institution_id, {}, credentials)
    except ReconnectRequired as exc:
        raise SandboxLoginRefused(f"{exc} ({exc.error_code})", error_code=exc.error_code) from exc
    if isinstance(result, ChallengeRequired):
        raise SandboxLoginRefused(
            "These credentials ask for MFA; answer it in Connect instead of the shortcut.", error_code="mfa"
        )
    return await link_service.create(
        session, box=box, app_id=app_id, end_user_id=end_user_id, institution=institution,
        connection=result, products=products, state="awaiting_token_exchange",
    )  # fmt: skip
