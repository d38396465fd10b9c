"""What every provider adapter implements, the normalised shapes it returns, and how it fails.

An adapter talks to one upstream (or, for `sandbox`, simulates one) and returns the unified,
normalised view: money as `Decimal` (non-negative, with a credit/debit direction), dates as dates,
and provider ids as strings. Adapters are stateless; what a connection needs between calls is the
JSON-serialisable `ProviderState` the adapter returned when it connected, which Linkgate stores
encrypted on the link.

How an end user authorises an upstream is its handoff (`HandoffKind`): typing a login (`credentials`,
with MFA relayed through `answer`), pasting a token the upstream gave them (`token`), consenting at the
upstream and coming back (`redirect`), or the upstream's own UI inside Connect (`widget`). `begin`
returns what Connect shows; `complete` takes what the end user (or the upstream, on their way back)
submitted and returns the connection.

Errors say what Linkgate should do next:

    ProviderError
    ├── RetryLater(defer_s)          transient: try the same call again later
    │   └── DataNotReady             the upstream is still gathering data: later, and no error shown
    ├── ReconnectRequired(code)      the end user must act (wrong password, expired consent, ...)
    ├── Misconfigured                the upstream refused our keys: the operator's to fix, no retry
    └── FatalProviderError           nothing will help; record it and stop
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

ProviderState = Mapping[str, Any]

# The httpx request extension that names an upstream call for Linkgate's metrics.
UPSTREAM_CALL_EXTENSION = "linkgate.upstream_call"


def upstream_call(provider: str, endpoint: str) -> dict[str, Any]:
    """httpx `extensions` naming a call to `provider`'s `endpoint`: a template (`/accounts/get`,
    `/accounts`), never a URL with ids or credentials in it."""
    return {UPSTREAM_CALL_EXTENSION: (provider, endpoint)}


class Product(StrEnum):
    accounts = "accounts"
    account_numbers = "account_numbers"
    identity = "identity"
    transactions = "transactions"
    investments = "investments"


class ProviderError(Exception):
    """Base of adapter failures."""


class RetryLater(ProviderError):
    def __init__(self, message: str, *, defer_s: float = 60.0) -> None:
        super().__init__(message)
        self.defer_s = defer_s


class DataNotReady(RetryLater):
    """The upstream is still gathering the data (Plaid's PRODUCT_NOT_READY): try later; nothing is wrong."""


class Misconfigured(ProviderError):
    """The upstream refused our keys for this account (Plaid's INVALID_API_KEYS): an operator's or app
    developer's to fix, so it is shown as such and not retried."""


class ReconnectRequired(ProviderError):
    """`error_code` is a MoneyKit link error: invalid_credentials, user_input_incorrect, auth_expired, ..."""

    def __init__(self, message: str, *, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


class FatalProviderError(ProviderError):
    pass


class WebhookRefused(ProviderError):
    """An inbound webhook the adapter could not verify (or an upstream that sends none): nothing changes."""


# Institutions and connecting ------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool = False


HandoffKind = Literal["credentials", "token", "redirect", "widget"]


@dataclass(frozen=True)
class InstitutionInfo:
    """One institution as a provider offers it; `login` is the handoff kind Connect shows for it."""

    provider_institution_id: str
    name: str
    url: str
    color: str
    login: HandoffKind
    credential_fields: tuple[CredentialField, ...]
    products: tuple[Product, ...]
    country_codes: tuple[str, ...] = ("US",)
    is_featured: bool = False
    routing_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class MfaPrompt:
    id: str
    text: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class MfaChallenge:
    kind: Literal["otp", "questions", "selection"]
    prompts: tuple[MfaPrompt, ...]


@dataclass(frozen=True)
class HandoffRequest:
    """What `begin` is told: which institution, and where a redirect comes back to.

    `return_url` is Connect's `/connect/callback/{provider}`; `state` must come back with the end user
    unchanged (it binds their return to their session)."""

    provider_institution_id: str
    return_url: str
    state: str
    products: tuple[str, ...] = ()
    user_id: str | None = None  # Linkgate's stable id of the end user (never personal data)
    connection: ProviderState | None = None  # the link's connection when it is being repaired


@dataclass(frozen=True)
class CredentialsHandoff:
    """A login form; the values go to `complete` (and a challenge may follow)."""

    fields: tuple[CredentialField, ...]
    kind: Literal["credentials"] = "credentials"


@dataclass(frozen=True)
class TokenHandoff:
    """One pasted token, submitted to `complete` as `{"token": ...}`."""

    label: str
    help_text: str
    help_url: str | None = None
    kind: Literal["token"] = "token"


@dataclass(frozen=True)
class RedirectHandoff:
    """Consent at `url`; the end user comes back to the request's `return_url` with its query, which
    goes to `complete` along with `pending` (kept sealed by Linkgate meanwhile)."""

    url: str
    pending: ProviderState
    kind: Literal["redirect"] = "redirect"


@dataclass(frozen=True)
class WidgetHandoff:
    """The upstream's own UI: `script_url` loaded into Connect with `options`; its result goes to
    `complete`."""

    script_url: str
    options: Mapping[str, Any]
    pending: ProviderState
    kind: Literal["widget"] = "widget"


Handoff = CredentialsHandoff | TokenHandoff | RedirectHandoff | WidgetHandoff


@dataclass(frozen=True)
class ConnectedInstitution:
    """The bank a connection turned out to reach, when the provider only learns it on connecting (a
    SimpleFIN grant names its bank only once claimed)."""

    provider_institution_id: str
    name: str
    url: str | None = None


@dataclass(frozen=True)
class Connected:
    """`institution`: the bank reached, when the provider learns it only now; `accounts`: the accounts,
    when connecting already read them (an upstream that counts requests is not asked twice)."""

    provider_link_id: str
    state: ProviderState
    institution: ConnectedInstitution | None = None
    accounts: tuple[NormalizedAccount, ...] | None = None


@dataclass(frozen=True)
class ChallengeRequired:
    challenge: MfaChallenge
    pending: ProviderState


ConnectResult = Connected | ChallengeRequired


# Normalised data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalizedAccount:
    provider_account_id: str
    name: str
    type: Literal["depository", "investment", "liability", "other"]
    subtype: str
    mask: str
    currency: str
    balance_current: Decimal | None
    balance_available: Decimal | None
    balance_limit: Decimal | None
    balances_as_of: dt.datetime
    official_name: str | None = None


@dataclass(frozen=True)
class NormalizedAccountNumbers:
    provider_account_id: str
    kind: Literal["ach", "eft", "international", "bacs"]
    account_number: str
    routing_number: str | None = None
    wire_routing_number: str | None = None
    branch_number: str | None = None
    bic: str | None = None


@dataclass(frozen=True)
class NormalizedOwner:
    provider_account_id: str
    names: tuple[str, ...]
    emails: tuple[Mapping[str, Any], ...]
    phone_numbers: tuple[Mapping[str, Any], ...]
    addresses: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class NormalizedTransaction:
    """`amount` is never negative; `direction` says which way the money went."""

    provider_transaction_id: str
    provider_account_id: str
    amount: Decimal
    direction: Literal["credit", "debit"]
    currency: str
    date: dt.date
    description: str
    pending: bool
    datetime: dt.datetime | None = None
    original_description: str | None = None
    merchant_name: str | None = None
    categories: tuple[str, ...] = ()
    pending_transaction_id: str | None = None


@dataclass(frozen=True)
class TransactionsDelta:
    """What changed since `since`: new or changed transactions, provider ids removed, where to resume,
    and (from reconciling) ids the upstream changed for transactions it had already reported: new id →
    the stored id, applied before `upserted`."""

    upserted: tuple[NormalizedTransaction, ...]
    removed: tuple[str, ...]
    next_cursor: str
    renamed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TransactionsWindow:
    """Everything the upstream holds for `accounts` in [start, end): no cursor, so Linkgate reconciles.

    An adapter of an upstream without a cursor (SimpleFIN, GoCardless, OFX) re-reads a date window that
    overlaps the previous one; Linkgate matches it against what it stored (`gateway/transactions/
    reconcile.py`) and records only what changed. The window promises that every transaction of each
    account in `accounts` dated in [start, end) is in `transactions`: a pending one missing from it is gone.
    """

    start: dt.date  # inclusive
    end: dt.date | None  # exclusive; None: up to now
    # Provider account ids whose transactions this window fully covers (an account that failed or
    # disappeared is absent, and nothing of it is removed).
    accounts: tuple[str, ...]
    transactions: tuple[NormalizedTransaction, ...]
    next_cursor: str | None = None  # what the adapter wants back next time (e.g. when it last read)


@dataclass(frozen=True)
class NormalizedSecurity:
    provider_security_id: str
    name: str
    type: str
    currency: str
    ticker_symbol: str | None = None
    cusip: str | None = None
    isin: str | None = None
    close_price: Decimal | None = None
    close_price_as_of: dt.date | None = None


@dataclass(frozen=True)
class NormalizedHolding:
    provider_account_id: str
    provider_security_id: str
    quantity: Decimal
    institution_price: Decimal | None
    institution_value: Decimal | None
    cost_basis: Decimal | None
    currency: str


@dataclass(frozen=True)
class NormalizedInvestmentTransaction:
    provider_investment_transaction_id: str
    provider_account_id: str
    provider_security_id: str | None
    name: str
    type: str
    amount: Decimal
    date: dt.date
    currency: str
    quantity: Decimal | None = None
    price: Decimal | None = None
    fees: Decimal | None = None


@dataclass(frozen=True)
class Apr:
    """One annual percentage rate of a credit card and what it charged in the last statement."""

    kind: Literal["purchase", "cash", "balance_transfer", "special"]
    percentage: Decimal
    balance_subject: Decimal | None = None
    interest_charged: Decimal | None = None


@dataclass(frozen=True)
class CreditLiability:
    """A credit card's terms and payments: its APRs, last statement, last payment and the next one due."""

    provider_account_id: str
    aprs: tuple[Apr, ...]
    is_overdue: bool | None
    last_payment_amount: Decimal | None
    last_payment_date: dt.date | None
    last_statement_issue_date: dt.date | None
    last_statement_balance: Decimal | None
    minimum_payment_amount: Decimal | None
    next_payment_due_date: dt.date | None


@dataclass(frozen=True)
class Investments:
    securities: tuple[NormalizedSecurity, ...]
    holdings: tuple[NormalizedHolding, ...]
    transactions: tuple[NormalizedInvestmentTransaction, ...] = field(default=())


@dataclass(frozen=True)
class Fetched:
    """What one refresh read: accounts always, the rest when asked for (None: not asked)."""

    accounts: Sequence[NormalizedAccount]
    numbers: Sequence[NormalizedAccountNumbers] | None = None
    owners: Sequence[NormalizedOwner] | None = None
    transactions: TransactionsDelta | TransactionsWindow | None = None
    investments: Investments | None = None
    # Accounts the upstream could not read this time (provider account id → error code): their data
    # stays as it was, and the link is not in error for them.
    account_errors: Mapping[str, str] = field(default_factory=dict)


# The protocol ---------------------------------------------------------------------------------


# What an upstream's webhook tells about its connections: new data to read (`refresh`, the default),
# the end user must log in again or revoked access, the login works again, consent runs out soon, or
# the bank has accounts the end user has not shared yet.
Notice = Literal[
    "refresh",
    "login_required",
    "permission_revoked",
    "login_repaired",
    "consent_expiring",
    "new_accounts",
    "ignored",
]


@dataclass(frozen=True)
class InboundWebhook:
    """What a verified upstream webhook says: these connections (`Connected.provider_link_ids`) have
    news (`notice`, with `details` such as when consent expires)."""

    provider_link_ids: tuple[str, ...]
    products: tuple[str, ...] = ()  # empty: every product of each link
    notice: Notice = "refresh"
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefreshBudget:
    """How often the upstream lets one connection be read: scheduled and on-demand refreshes share it."""

    requests: int
    per_seconds: int = 86_400


class ProviderAdapter(Protocol):
    """One upstream aggregator. Every method may raise a `ProviderError`."""

    name: str
    budget: RefreshBudget | None
    # The keys an app may bring for its own account at this upstream (empty: the upstream has none).
    app_credential_keys: tuple[str, ...]

    @property
    def serves_without_app_keys(self) -> bool:
        """Whether an app that set no keys of its own can use this provider (the operator's keys, or an
        upstream that needs none)."""
        ...

    async def institutions(self) -> Sequence[InstitutionInfo]:
        """The institutions this provider can connect to."""
        ...

    async def begin(self, request: HandoffRequest) -> Handoff:
        """What Connect shows the end user to authorise this institution."""
        ...

    async def complete(
        self, provider_institution_id: str, pending: ProviderState, submitted: Mapping[str, str]
    ) -> ConnectResult:
        """Finish the handoff with what was submitted (a login, a token, a redirect's query, a widget's
        result); either connected, or a challenge the end user must answer."""
        ...

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> InboundWebhook:
        """Check an inbound webhook as the upstream documents it (signature, freshness, the exact
        body) and say which connections it concerns; `WebhookRefused` when it does not verify."""
        ...

    async def answer(self, pending: ProviderState, answers: Mapping[str, str]) -> ConnectResult:
        """Answer the challenge `pending` came with; may lead to another challenge."""
        ...

    async def read(self, connection: ProviderState, products: Sequence[str], since: str | None) -> Fetched:
        """One refresh: the accounts and each of `products` (transactions from the cursor `since`).
        An upstream that charges per request reads everything at once; others call `read_each`."""
        ...

    async def accounts(self, connection: ProviderState) -> Sequence[NormalizedAccount]:
        """Accounts with fresh balances (what the end user chooses from when connecting)."""
        ...

    async def account_numbers(self, connection: ProviderState) -> Sequence[NormalizedAccountNumbers]: ...

    async def identity(self, connection: ProviderState) -> Sequence[NormalizedOwner]: ...

    async def transactions(
        self, connection: ProviderState, since: str | None
    ) -> TransactionsDelta | TransactionsWindow:
        """Changes since the provider cursor `since` (None: the first pull), or, from an upstream without
        a cursor, the window it read (`since` is then the window's `next_cursor` of the last refresh)."""
        ...

    async def investments(self, connection: ProviderState) -> Investments: ...

    async def disconnect(self, connection: ProviderState) -> None: ...


@runtime_checkable
class SearchesInstitutions(Protocol):
    """An upstream whose directory is too large to list (Plaid): searched by name as people search,
    and what it finds joins Linkgate's directory."""

    async def search_institutions(self, query: str) -> Sequence[InstitutionInfo]: ...

    async def get_institution(self, provider_institution_id: str) -> InstitutionInfo: ...


@dataclass(frozen=True)
class Adopted:
    """A connection a developer already held at the upstream, now Linkgate's: what it reaches and the
    products it was made with."""

    connection: Connected
    provider_institution_id: str
    products: tuple[str, ...]


@runtime_checkable
class AdoptsConnections(Protocol):
    """An upstream whose connections a developer may hand over without asking anyone to link again
    (a Plaid access token): `adopt` checks the credentials with the upstream and reads the accounts."""

    async def adopt(self, credentials: Mapping[str, str]) -> Adopted: ...


@runtime_checkable
class NamesConnections(Protocol):
    """An upstream whose webhooks name their connections in the body (Plaid's `item_id`): read unverified
    only to choose whose keys fetch what verifies it, when the operator set none."""

    def connections_named(self, body: bytes) -> tuple[str, ...]: ...


@runtime_checkable
class AppScoped(Protocol):
    """An adapter whose calls depend on the app: its own keys, and its mode (sandbox apps use the
    upstream's test environment where it has one)."""

    def for_app(self, keys: Mapping[str, str] | None, *, live: bool) -> ProviderAdapter: ...


async def read_each(
    adapter: ProviderAdapter, connection: ProviderState, products: Sequence[str], since: str | None
) -> Fetched:
    """`read` for an upstream with a call per product: the accounts, then each product asked for."""
    wanted = set(products)
    return Fetched(
        accounts=await adapter.accounts(connection),
        numbers=await adapter.account_numbers(connection) if Product.account_numbers in wanted else None,
        owners=await adapter.identity(connection) if Product.identity in wanted else None,
        transactions=await adapter.transactions(connection, since)
        if Product.transactions in wanted
        else None,
        investments=await adapter.investments(connection) if Product.investments in wanted else None,
    )
