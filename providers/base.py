"""What every provider adapter implements, the normalised shapes it returns, and how it fails.

An adapter talks to one upstream (or, for `sandbox`, simulates one) and returns the unified,
normalised view: money as `Decimal` (non-negative, with a credit/debit direction), dates as dates,
and provider ids as strings. Adapters are stateless; what a connection needs between calls is the
JSON-serialisable `ProviderState` the adapter returned when it connected, which Linkgate stores
encrypted on the link.

Errors say what Linkgate should do next:

    ProviderError
    ├── RetryLater(defer_s)          transient: try the same call again later
    ├── ReconnectRequired(code)      the end user must act (wrong password, expired consent, ...)
    └── FatalProviderError           nothing will help; record it and stop
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, Protocol

ProviderState = Mapping[str, Any]


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


class ReconnectRequired(ProviderError):
    """`error_code` is a MoneyKit link error: invalid_credentials, user_input_incorrect, auth_expired, ..."""

    def __init__(self, message: str, *, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


class FatalProviderError(ProviderError):
    pass


# Institutions and connecting ------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool = False


@dataclass(frozen=True)
class InstitutionInfo:
    provider_institution_id: str
    name: str
    url: str
    color: str
    login: Literal["credentials", "oauth", "instant"]
    credential_fields: tuple[CredentialField, ...]
    products: tuple[Product, ...]
    country_codes: tuple[str, ...] = ("US",)
    is_featured: bool = False


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
class Connected:
    provider_link_id: str
    state: ProviderState


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
    """What changed since `since`: new or changed transactions, provider ids removed, where to resume."""

    upserted: tuple[NormalizedTransaction, ...]
    removed: tuple[str, ...]
    next_cursor: str


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


# The protocol ---------------------------------------------------------------------------------


class ProviderAdapter(Protocol):
    """One upstream aggregator. Every method may raise a `ProviderError`."""

    name: str

    async def institutions(self) -> Sequence[InstitutionInfo]:
        """The institutions this provider can connect to."""
        ...

    async def connect(self, provider_institution_id: str, credentials: Mapping[str, str]) -> ConnectResult:
        """Start a connection; either connected, or a challenge the end user must answer."""
        ...

    async def answer(self, pending: ProviderState, answers: Mapping[str, str]) -> ConnectResult:
        """Answer the challenge `pending` came with; may lead to another challenge."""
        ...

    async def accounts(self, connection: ProviderState) -> Sequence[NormalizedAccount]:
        """Accounts with fresh balances."""
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
