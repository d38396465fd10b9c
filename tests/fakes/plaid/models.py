"""The records of the fake Plaid's world: institutions, Items and their accounts, transactions and
investments, tokens, recorded requests and webhook deliveries.

Field names follow the wire (plaid.md §4) so rendering (render.py) stays a plain mapping; money is a float
with Plaid's sign (positive = money out of the account), dates are `YYYY-MM-DD` strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

JsonObject = dict[str, object]
ChangeKind = Literal["added", "modified", "removed"]
ENDPOINTS: tuple[str, ...] = (
    "/link/token/create",
    "/item/public_token/exchange",
    "/accounts/get",
    "/auth/get",
    "/identity/get",
    "/transactions/sync",
    "/investments/holdings/get",
    "/investments/transactions/get",
    "/item/get",
    "/item/remove",
    "/institutions/search",
    "/institutions/get_by_id",
    "/webhook_verification_key/get",
    "/sandbox/public_token/create",
    "/sandbox/item/fire_webhook",
    "/sandbox/item/reset_login",
    "/accounts/balance/get",
    "/item/webhook/update",
    "/transactions/refresh",
)
"""The Plaid API paths the fake serves (all POST + JSON)."""


@dataclass(frozen=True)
class Institution:
    """One entry of the institution catalog (Spec `Institution`)."""

    institution_id: str
    name: str
    products: tuple[str, ...]
    country_codes: tuple[str, ...]
    routing_numbers: tuple[str, ...]
    oauth: bool
    url: str | None = None
    primary_color: str | None = None


@dataclass(frozen=True)
class AccountSpec:
    """What a test asks for when it creates an Item with chosen accounts (`complete_link(accounts=...)`)."""

    name: str
    type: str
    subtype: str | None
    mask: str | None
    current: float | None
    available: float | None = None
    limit: float | None = None
    official_name: str | None = None
    currency: str = "USD"


@dataclass
class Account:
    """An account of an Item, with its ACH numbers and owners (Spec `AccountBase`, `NumbersACH`, `Owner`)."""

    account_id: str
    spec: AccountSpec
    account_number: str
    routing: str
    wire_routing: str | None
    owners: list[JsonObject]
    margin_loan_amount: float | None = None


@dataclass
class Transaction:
    """One transaction as Plaid shows it (Spec `Transaction`); `amount` positive = money out."""

    transaction_id: str
    account_id: str
    amount: float
    date: str
    name: str
    pending: bool = False
    merchant_name: str | None = None
    pending_transaction_id: str | None = None
    authorized_date: str | None = None
    payment_channel: str = "other"
    currency: str = "USD"


@dataclass(frozen=True)
class Change:
    """One entry of an Item's append-only change log; its index in the log is its position."""

    kind: ChangeKind
    transaction_id: str
    account_id: str


@dataclass
class Item:
    """A linked login at an institution, reachable by `access_token` until removed."""

    item_id: str
    access_token: str
    institution_id: str
    client_id: str
    products: list[str]
    webhook: str | None
    created_at: float
    accounts: dict[str, Account] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    log: list[Change] = field(default_factory=list)
    generation: int = 0
    """Bumped by every change of transaction data: a pagination loop made on an older one is stale."""
    update_status: str = "HISTORICAL_UPDATE_COMPLETE"
    securities: list[JsonObject] = field(default_factory=list)
    holdings: list[JsonObject] = field(default_factory=list)
    investment_transactions: list[JsonObject] = field(default_factory=list)
    error_code: str | None = None
    removed: bool = False
    synced_once: bool = False
    last_sync_success: float | None = None
    last_webhook: tuple[float, str] | None = None
    client_user_id: str | None = None


@dataclass
class LinkToken:
    """A link token and the `/link/token/create` request that minted it (secrets left out)."""

    link_token: str
    client_id: str
    request: JsonObject
    created_at: float
    expires_at: float
    update_item_id: str | None
    """Set in update mode (created with `access_token`)."""

    @property
    def products(self) -> list[str]:
        return [str(p) for p in self.request.get("products") or []]  # type: ignore[attr-defined]

    @property
    def client_user_id(self) -> str | None:
        user = self.request.get("user")
        return str(user["client_user_id"]) if isinstance(user, dict) and "client_user_id" in user else None

    @property
    def webhook(self) -> str | None:
        value = self.request.get("webhook")
        return str(value) if value is not None else None

    @property
    def redirect_uri(self) -> str | None:
        value = self.request.get("redirect_uri")
        return str(value) if value is not None else None

    @property
    def access_token(self) -> str | None:
        value = self.request.get("access_token")
        return str(value) if value is not None else None


@dataclass
class PublicToken:
    public_token: str
    item_id: str
    expires_at: float
    used: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    """One API request the fake received: path, JSON body without `secret`, who sent it, the answer."""

    endpoint: str
    body: object
    client_id: str | None
    status: int
    error_code: str | None
    at: float


@dataclass(frozen=True)
class Violation:
    """A request that the OpenAPI description refuses (answered 400 INVALID_REQUEST)."""

    endpoint: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Delivery:
    """One webhook POST: what was sent and how the receiver answered (`status` None: no answer)."""

    url: str
    payload: JsonObject
    body: bytes
    headers: dict[str, str]
    status: int | None
    error: str | None


@dataclass
class Fault:
    """An injected error: the next `remaining` requests to `endpoint` (a path, or "*") answer `error_code`."""

    endpoint: str
    error_code: str
    remaining: int


@dataclass
class WebhookTampering:
    """Test hooks that make the next webhooks fail verification in one chosen way."""

    stale_iat_s: int = 0
    """Backdate `iat` by this many seconds (> 300 makes it stale)."""
    wrong_body_hash: bool = False
    """Sign the hash of other bytes than the ones sent."""
    foreign_key: bool = False
    """Sign with a key the fake never publishes, under the current `kid`."""
    unknown_kid: bool = False
    """Name a `kid` that `/webhook_verification_key/get` does not know."""


@dataclass
class OAuthState:
    """An OAuth redirect in progress: `oauth_state_id` → the link token and institution that started it."""

    oauth_state_id: str
    link_token: str
    institution_id: str
    processed: bool = False
