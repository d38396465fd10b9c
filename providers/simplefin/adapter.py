"""The SimpleFIN Bridge adapter: a pasted setup token, one `/accounts` read per refresh, windows.

Connecting claims the setup token once and keeps the access URL it returns (a secret: Linkgate seals
the connection state). A refresh asks for everything since the last read minus an overlap, in one
request (the Bridge allows about 24 a day per connection), and returns it as a `TransactionsWindow`
for Linkgate to reconcile: SimpleFIN has no cursor and renumbers a pending transaction when it posts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence

from providers.base import (
    Connected,
    ConnectResult,
    CredentialField,
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
    Product,
    ProviderState,
    ReconnectRequired,
    RefreshBudget,
    RetryLater,
    TokenHandoff,
    TransactionsWindow,
    WebhookRefused,
)
from providers.simplefin.client import AccessUrl, SimpleFinClient, claim_url_of
from providers.simplefin.normalize import AccountSet, account_set
from providers.simplefin.settings import SimpleFinSettings

BRIDGE_ID = "bridge"
TOKEN_FIELD = "token"
BRIDGE = InstitutionInfo(
    provider_institution_id=BRIDGE_ID,
    name="SimpleFIN Bridge",
    url="https://beta-bridge.simplefin.org",
    color="#2f6f4f",
    login="token",
    credential_fields=(CredentialField(TOKEN_FIELD, "Setup token", secret=True),),
    products=(Product.accounts, Product.transactions),
)
HANDOFF = TokenHandoff(
    label="Setup token",
    help_text="Create a setup token at SimpleFIN Bridge (Apps, then New connection) and paste it here.",
    help_url="https://beta-bridge.simplefin.org/",
)


class SimpleFinProvider:
    """No keys of its own: each end user's Bridge subscription is their access."""

    name = "simplefin"
    app_credential_keys: tuple[str, ...] = ()
    serves_without_app_keys = True  # it takes no keys

    def __init__(
        self,
        settings: SimpleFinSettings,
        client: SimpleFinClient,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self.client = client
        self.clock = clock
        self.budget: RefreshBudget | None = RefreshBudget(requests=settings.requests_per_day)

    async def institutions(self) -> Sequence[InstitutionInfo]:
        return [BRIDGE]

    async def begin(self, request: HandoffRequest) -> Handoff:
        return HANDOFF

    async def complete(
        self, provider_institution_id: str, pending: ProviderState, submitted: Mapping[str, str]
    ) -> ConnectResult:
        """Claim the setup token and read the grant once, so a bad grant fails here, nothing stored."""
        claim_url = claim_url_of(submitted.get(TOKEN_FIELD, ""), self.settings)
        try:
            access = await self.client.claim(claim_url)
            found = account_set(
                await self.client.accounts(access, start=None, balances_only=True), self.clock()
            )
        except (RetryLater, FatalProviderError) as exc:  # the server's fault: nothing is stored
            raise ReconnectRequired(
                f"SimpleFIN Bridge could not be used just now ({exc}). Try again in a few minutes.",
                error_code="institution_error",
            ) from None
        if found.needs_reauth:
            raise ReconnectRequired(_first_message(found), error_code="user_input_incorrect")
        state = {"access_url": access.serialise(), "version": found.version}
        reached = found.institutions[0] if len(found.institutions) == 1 else None
        return Connected(
            provider_link_id=_connection_id(access), state=state, institution=reached,
            accounts=found.accounts,
        )  # fmt: skip

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> InboundWebhook:
        raise WebhookRefused("SimpleFIN sends no webhooks")

    async def answer(self, pending: ProviderState, answers: Mapping[str, str]) -> ConnectResult:
        raise ReconnectRequired("SimpleFIN asks no questions", error_code="user_error")

    async def read(self, connection: ProviderState, products: Sequence[str], since: str | None) -> Fetched:
        start = self._window_start(since)
        wants_transactions = Product.transactions in set(products)
        found = await self._read(connection, start=start if wants_transactions else None)
        failing = {
            a.provider_account_id: "institution_error" for a in found.accounts if not _covered(found, a)
        }
        if not wants_transactions:
            return Fetched(accounts=found.accounts, account_errors=failing)
        return Fetched(
            accounts=found.accounts, transactions=self._window(found, start), account_errors=failing
        )

    async def accounts(self, connection: ProviderState) -> Sequence[NormalizedAccount]:
        return (await self._read(connection, start=None)).accounts

    async def transactions(self, connection: ProviderState, since: str | None) -> TransactionsWindow:
        start = self._window_start(since)
        return self._window(await self._read(connection, start=start), start)

    async def account_numbers(self, connection: ProviderState) -> Sequence[NormalizedAccountNumbers]:
        return []  # SimpleFIN shares no account numbers

    async def identity(self, connection: ProviderState) -> Sequence[NormalizedOwner]:
        return []

    async def investments(self, connection: ProviderState) -> Investments:
        return Investments(securities=(), holdings=())

    async def disconnect(self, connection: ProviderState) -> None:
        return None  # the end user disables the access URL at the Bridge; there is no API for it

    async def _read(self, connection: ProviderState, *, start: dt.datetime | None) -> AccountSet:
        try:
            access = AccessUrl.parse(str(connection.get("access_url", "")), self.settings)
        except ValueError as exc:  # e.g. its host was taken off LINKGATE_SIMPLEFIN_ALLOWED_HOSTS since
            raise FatalProviderError(
                f"this connection's SimpleFIN server can no longer be used: {exc}"
            ) from None
        balances_only = start is None
        epoch = int(start.timestamp()) if start is not None else None
        found = account_set(
            await self.client.accounts(access, start=epoch, balances_only=balances_only), self.clock()
        )
        if found.needs_reauth:
            raise ReconnectRequired(_first_message(found), error_code="auth_expired")
        return found

    def _window_start(self, since: str | None) -> dt.datetime:
        """Midnight (UTC) of the last read's day minus the overlap; the history's depth the first time."""
        now = self.clock()
        last = _moment(since) or now - dt.timedelta(
            days=self.settings.history_days - self.settings.overlap_days
        )
        day = max((last - dt.timedelta(days=self.settings.overlap_days)).date(),
                  (now - dt.timedelta(days=self.settings.history_days)).date())  # fmt: skip
        return dt.datetime.combine(day, dt.time(), dt.UTC)

    def _window(self, found: AccountSet, start: dt.datetime) -> TransactionsWindow:
        covered = tuple(a.provider_account_id for a in found.accounts if _covered(found, a))
        kept = tuple(t for t in found.transactions if t.provider_account_id in covered)
        return TransactionsWindow(
            start=start.date(), end=None, accounts=covered, transactions=kept,
            next_cursor=str(int(self.clock().timestamp())),
        )  # fmt: skip


def _connection_id(access: AccessUrl) -> str:
    """A stable name for the grant that gives nothing of it away (its username is half its credentials)."""
    return "sfin-" + hashlib.sha256(f"{access.base}\n{access.username}".encode()).hexdigest()[:32]


def _covered(found: AccountSet, account: NormalizedAccount) -> bool:
    """Whether the server read the account fully (not failed, not on a connection that needs its user)."""
    return (
        account.provider_account_id not in found.failed_accounts
        and account.provider_account_id.split("/", 1)[0] not in found.failing_connections
    )


def _moment(cursor: str | None) -> dt.datetime | None:
    if cursor is None or not cursor.isdigit():
        return None
    return dt.datetime.fromtimestamp(int(cursor), dt.UTC)


def _first_message(found: AccountSet) -> str:
    reasons = [e.message for e in found.errors if e.needs_reauth and e.message]
    return reasons[0] if reasons else "SimpleFIN Bridge needs you to sign in to your bank again."
