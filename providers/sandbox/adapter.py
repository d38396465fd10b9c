"""The sandbox provider adapter: the login table plus generated data, no network."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from providers.base import (
    ConnectResult,
    CredentialsHandoff,
    FatalProviderError,
    Fetched,
    Handoff,
    HandoffRequest,
    InboundWebhook,
    InstitutionInfo,
    Investments,
    NormalizedAccount,
    NormalizedAccountNumbers,
    NormalizedOwner,
    ProviderState,
    RedirectHandoff,
    RefreshBudget,
    TransactionsDelta,
    WebhookRefused,
    read_each,
)
from providers.sandbox import generator, login
from providers.sandbox.institutions import INSTITUTIONS

_CURSOR = re.compile(r"^r(\d{1,9})$")


def _seed(connection: ProviderState) -> str:
    seed = connection.get("seed")
    if not isinstance(seed, str):
        raise FatalProviderError("sandbox connection state has no seed")
    return seed


class SandboxProvider:
    """Credentials (with MFA) at most banks; OAuth Bank consents on Connect's simulated bank page."""

    name = "sandbox"
    budget: RefreshBudget | None = None
    app_credential_keys: tuple[str, ...] = ()
    serves_without_app_keys = True  # it takes no keys

    async def institutions(self) -> Sequence[InstitutionInfo]:
        return list(INSTITUTIONS.values())

    async def begin(self, request: HandoffRequest) -> Handoff:
        institution = INSTITUTIONS.get(request.provider_institution_id)
        if institution is None:
            raise FatalProviderError(f"no sandbox institution {request.provider_institution_id!r}")
        if institution.login == "redirect":
            consent = (
                f"/connect/oauth/{institution.provider_institution_id}?{urlencode({'state': request.state})}"
            )
            return RedirectHandoff(url=consent, pending={"institution": institution.provider_institution_id})
        return CredentialsHandoff(fields=institution.credential_fields)

    async def complete(
        self, provider_institution_id: str, pending: ProviderState, submitted: Mapping[str, str]
    ) -> ConnectResult:
        return login.connect(provider_institution_id, submitted)

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> InboundWebhook:
        raise WebhookRefused("the sandbox sends no webhooks")

    async def answer(self, pending: ProviderState, answers: Mapping[str, str]) -> ConnectResult:
        return login.answer(pending, answers)

    async def read(self, connection: ProviderState, products: Sequence[str], since: str | None) -> Fetched:
        return await read_each(self, connection, products, since)

    async def accounts(self, connection: ProviderState) -> Sequence[NormalizedAccount]:
        return generator.accounts(_seed(connection), dt.datetime.now(dt.UTC))

    async def account_numbers(self, connection: ProviderState) -> Sequence[NormalizedAccountNumbers]:
        return generator.account_numbers(_seed(connection))

    async def identity(self, connection: ProviderState) -> Sequence[NormalizedOwner]:
        return generator.owners(_seed(connection))

    async def transactions(self, connection: ProviderState, since: str | None) -> TransactionsDelta:
        """Cursor `rN` means refreshes 1..N were delivered; this call delivers refresh N+1."""
        seed, today = _seed(connection), dt.date.today()
        delivered = 0
        if since is not None:
            match = _CURSOR.match(since)
            if match is None:
                raise FatalProviderError(f"not a sandbox transactions cursor: {since!r}")
            delivered = int(match.group(1))
        refresh = delivered + 1
        added = generator.refresh_transactions(seed, refresh, today)
        posted = (
            generator.resolved(generator.refresh_transactions(seed, delivered, today)) if delivered else []
        )
        return TransactionsDelta(upserted=(*posted, *added), removed=(), next_cursor=f"r{refresh}")

    async def investments(self, connection: ProviderState) -> Investments:
        return generator.investments(_seed(connection), dt.date.today())

    async def disconnect(self, connection: ProviderState) -> None:
        return None
