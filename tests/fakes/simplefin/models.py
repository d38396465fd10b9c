"""The records of the fake Bridge's world: organizations and connections, accounts, transactions, accesses.

Field names follow the wire (spec §6) so rendering stays a plain mapping; money is kept as the numeric
string the wire carries and epochs as whole seconds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

Endpoint = Literal["info", "create", "claim", "accounts", "currency"]
ALL_ENDPOINTS: tuple[Endpoint, ...] = ("info", "create", "claim", "accounts", "currency")
JsonObject = dict[str, object]


class Fault(enum.Enum):
    """Misbehaviour a test can switch on for chosen endpoints (spec §7, §10.8)."""

    CLOUDFLARE_403 = "cloudflare-403"
    """An HTML 403 page from the CDN in front of the Bridge: not proof of revocation (spec §7)."""
    CLOUDFLARE_429 = "cloudflare-429"
    """An HTML 429 "you are being rate limited" page from the CDN (spec §7)."""
    GARBAGE = "garbage"
    """200 with a body that is not what the endpoint promises (not an access URL, not JSON)."""
    HANG = "hang"
    """Read the request and never answer, until the server shuts down (client timeout tests)."""


def money(value: str | Decimal | int) -> str:
    """A numeric string as the wire carries it (spec §6.4, §6.5), refusing anything that is not a number."""
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation as error:
        raise ValueError(f"not a numeric amount: {value!r}") from error
    if not number.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return str(number)


@dataclass
class Connection:
    """One login at one institution (spec §6.3); two logins at a bank are two connections sharing `org_*`."""

    conn_id: str
    name: str
    org_id: str
    org_name: str
    org_domain: str | None = None
    org_url: str | None = None
    sfin_url: str | None = None
    """None means the Bridge's own root URL, as for every institution reached through the Bridge."""
    needs_reauth: bool = False


@dataclass
class Transaction:
    """One transaction (spec §6.5); `posted` is 0 while pending, as the Bridge sends it."""

    id: str
    posted: int
    amount: str
    description: str
    transacted_at: int | None = None
    pending: bool = False
    payee: str | None = None
    memo: str | None = None
    extra: JsonObject | None = None
    sequence: int = 0
    """Insertion order: the tie-break among equal `posted` values, so answers are stable."""


@dataclass
class Account:
    """One account (spec §6.4). Ids are unique across the whole fake, like the Bridge's `ACT-…` ids."""

    id: str
    conn_id: str
    name: str
    currency: str
    balance: str
    balance_date: int
    available_balance: str | None = None
    extra: JsonObject | None = None
    holdings: list[JsonObject] | None = None
    transactions: list[Transaction] = field(default_factory=list)
    failure: Literal["act.failed", "act.missingdata"] | None = None
    omitted_when_failed: bool = True


@dataclass
class Access:
    """Credentials handed out by a claim (spec §3). `conn_ids` None means every connection of the world."""

    username: str
    password: str
    url: str
    conn_ids: frozenset[str] | None = None
    revoked: bool = False
    disabled_for_overuse: bool = False
    requests_by_day: dict[tuple[int, str], int] = field(default_factory=dict)
    """(UTC day number, quota scope) → authenticated /accounts requests; scope "*" or an account id (§8)."""


@dataclass(frozen=True)
class SetupToken:
    """A minted SimpleFIN Token: Base64 of the claim URL (spec §2)."""

    code: str
    claim_url: str
    token: str


@dataclass(frozen=True)
class CustomCurrency:
    """A custom currency served at its URL as `{"name", "abbr"}` (spec §6.4)."""

    code: str
    name: str
    abbr: str
    url: str


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, for tests that check what a client sent."""

    endpoint: Endpoint
    method: str
    query: tuple[tuple[str, str], ...]
    username: str | None
    status: int | None
    """None while (or because) the request hangs."""
    at: int
