"""SimpleFIN account sets (protocol version 1 or 2) in Linkgate's normalised shapes.

SimpleFIN amounts are signed decimal strings, positive when money came into the account (the
opposite of Plaid); times are Unix seconds; a pending transaction may carry `posted: 0` and date by
`transacted_at`. There is no account type, so one is inferred from the name (and holdings). Account
ids are unique only within their connection (version 2) or organisation (version 1), and
transaction ids only within their account, so Linkgate's ids for them carry that scope.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from providers.base import ConnectedInstitution, NormalizedAccount, NormalizedTransaction

# Error codes (version 2 `errlist`) that mean the end user must sign in again.
REAUTH_CODES = frozenset({"gen.auth", "con.auth"})
# Version 1 sends only texts; these are the Bridge's re-authentication wordings.
REAUTH_TEXTS = ("may need attention", "reauthenticate", "re-authenticate")
CUSTOM_CURRENCY = "XXX"  # ISO 4217's "no currency": a SimpleFIN currency given as a URL


@dataclass(frozen=True)
class BridgeError:
    code: str  # version 2 code (`act.failed`, ...) or `gen` for a version 1 text
    message: str
    connection: str | None = None
    account: str | None = None

    @property
    def needs_reauth(self) -> bool:
        prefix = self.code if self.code in REAUTH_CODES else ""
        return bool(prefix) or any(text in self.message.lower() for text in REAUTH_TEXTS)


@dataclass(frozen=True)
class AccountSet:
    """One `/accounts` answer, normalised."""

    version: Literal[1, 2]
    accounts: tuple[NormalizedAccount, ...]
    transactions: tuple[NormalizedTransaction, ...]
    errors: tuple[BridgeError, ...]
    institutions: tuple[ConnectedInstitution, ...]
    # Accounts the server said it could not read this time (their data is missing or incomplete).
    failed_accounts: frozenset[str]

    @property
    def failing_connections(self) -> frozenset[str]:
        return frozenset(e.connection for e in self.errors if e.needs_reauth and e.connection is not None)

    @property
    def needs_reauth(self) -> bool:
        """Every account needs the end user to sign in again (or the whole grant does)."""
        if any(e.needs_reauth and e.connection is None and e.account is None for e in self.errors):
            return not self.accounts or self.version == 1
        failing = self.failing_connections
        return bool(failing) and all(a.provider_account_id.split("/", 1)[0] in failing for a in self.accounts)


def account_set(body: Mapping[str, Any], now: dt.datetime) -> AccountSet:
    version: Literal[1, 2] = 2 if "errlist" in body or "connections" in body else 1
    connections = {str(c.get("conn_id")): c for c in _objects(body.get("connections"))}
    accounts: list[NormalizedAccount] = []
    transactions: list[NormalizedTransaction] = []
    for raw in _objects(body.get("accounts")):
        scope = _scope(raw, version)
        account = _account(raw, scope, now)
        accounts.append(account)
        transactions.extend(_transactions(raw, account))
    errors = _errors(body, version, connections, accounts)
    failed = frozenset(e.account for e in errors if e.account is not None and e.code.startswith("act."))
    return AccountSet(
        version=version, accounts=tuple(accounts), transactions=tuple(transactions), errors=tuple(errors),
        institutions=tuple(_institutions(body, version, connections)), failed_accounts=failed,
    )  # fmt: skip


def _objects(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _scope(raw: Mapping[str, Any], version: int) -> str:
    """The connection (version 2) or organisation (version 1) an account's id is unique within."""
    if version == 2 and raw.get("conn_id"):
        return str(raw["conn_id"])
    org = _org(raw)
    return str(org.get("id") or org.get("domain") or org.get("sfin-url") or org.get("name") or "org")


def _account(raw: Mapping[str, Any], scope: str, now: dt.datetime) -> NormalizedAccount:
    name = _text(raw.get("name")) or "Account"
    kind, subtype = _kind(name, bool(raw.get("holdings")))
    balance = _money(raw.get("balance"))
    available = _money(raw.get("available-balance"))
    if available is None:
        available = balance  # omitted when equal to the balance
    if kind == "liability":  # SimpleFIN shows what is owed as a negative balance
        balance = -balance if balance is not None else None
        available = None
    as_of = _moment(raw.get("balance-date")) or now
    return NormalizedAccount(
        provider_account_id=f"{scope}/{raw.get('id')}", name=name[:200], type=kind, subtype=subtype,
        mask=_mask(name), currency=_currency(raw.get("currency")), balance_current=balance,
        balance_available=available, balance_limit=None, balances_as_of=as_of,
    )  # fmt: skip


_KINDS: tuple[tuple[re.Pattern[str], Literal["depository", "investment", "liability"], str], ...] = (
    (re.compile(r"credit|card|visa|mastercard|amex", re.I), "liability", "credit_card"),
    (re.compile(r"mortgage", re.I), "liability", "mortgage"),
    (re.compile(r"loan|heloc|line of credit", re.I), "liability", "loan"),
    (re.compile(r"401k|401\(k\)|ira\b|roth|brokerage|invest|retire", re.I), "investment", "brokerage"),
    (re.compile(r"saving", re.I), "depository", "savings"),
    (re.compile(r"money market", re.I), "depository", "money_market"),
    (re.compile(r"\bcd\b|certificate", re.I), "depository", "cd"),
)


def _kind(name: str, holdings: bool) -> tuple[Literal["depository", "investment", "liability"], str]:
    """SimpleFIN has no account type: the name says most (as other SimpleFIN clients infer it)."""
    for pattern, kind, subtype in _KINDS:
        if pattern.search(name):
            return kind, subtype
    return ("investment", "brokerage") if holdings else ("depository", "checking")


def _mask(name: str) -> str:
    digits = re.findall(r"\d{4,}", name)
    return digits[-1][-4:] if digits else ""


def _transactions(raw: Mapping[str, Any], account: NormalizedAccount) -> list[NormalizedTransaction]:
    found = []
    for item in _objects(raw.get("transactions")):
        amount = _money(item.get("amount"))
        if amount is None or item.get("id") in (None, ""):
            continue
        posted = _moment(item.get("posted"))
        transacted = _moment(item.get("transacted_at"))
        pending = bool(item.get("pending")) or posted is None
        when = (transacted or posted) if pending else (posted or transacted)
        if when is None:
            continue
        description = _text(item.get("description")) or _text(item.get("payee")) or "Transaction"
        memo = _text(item.get("memo"))
        found.append(NormalizedTransaction(
            provider_transaction_id=f"{account.provider_account_id}/{item['id']}"[:255],
            provider_account_id=account.provider_account_id, amount=abs(amount),
            direction="credit" if amount > 0 else "debit", currency=account.currency, date=when.date(),
            description=description[:500], pending=pending, datetime=transacted,
            original_description=(f"{description} ({memo})" if memo else description)[:500],
            merchant_name=(_text(item.get("payee")) or None),
        ))  # fmt: skip
    return found


def _errors(
    body: Mapping[str, Any],
    version: int,
    connections: Mapping[str, Mapping[str, Any]],
    accounts: Sequence[NormalizedAccount],
) -> list[BridgeError]:
    errors = [BridgeError("gen", text) for text in (_text(e) for e in _list(body.get("errors"))) if text]
    if version == 1:
        return errors
    ids = {account.provider_account_id.split("/", 1)[1]: account.provider_account_id for account in accounts}
    structured = []
    for item in _objects(body.get("errlist")):
        connection = _text(item.get("conn_id")) or None
        account = _text(item.get("account_id")) or None
        scoped = f"{connection}/{account}" if connection and account else ids.get(account or "")
        message = _text(item.get("msg")) or _text(item.get("message"))  # the draft names it both ways
        structured.append(BridgeError(_text(item.get("code")) or "gen", message, connection, scoped))
    return structured or errors


def _institutions(
    body: Mapping[str, Any], version: int, connections: Mapping[str, Mapping[str, Any]]
) -> list[ConnectedInstitution]:
    if version == 2:
        return [
            ConnectedInstitution(
                provider_institution_id=_text(c.get("org_id")) or conn_id,
                name=_text(c.get("org_name")) or _text(c.get("name")) or "SimpleFIN bank",
                url=_text(c.get("org_url")) or None,
            )
            for conn_id, c in connections.items()
        ]
    seen: dict[str, ConnectedInstitution] = {}
    for raw in _objects(body.get("accounts")):
        org = _org(raw)
        key = _scope(raw, 1)
        seen.setdefault(key, ConnectedInstitution(
            provider_institution_id=key, name=_text(org.get("name")) or _text(org.get("domain")) or key,
            url=_text(org.get("url")) or None,
        ))  # fmt: skip
    return list(seen.values())


def _org(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    org = raw.get("org")
    return org if isinstance(org, Mapping) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str:
    """A server's text as plain, printable text (it reaches end users' screens: sanitised)."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    return "".join(ch for ch in str(value) if ch.isprintable()).strip()


def _money(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _moment(value: object) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = int(value)
    except ValueError:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds > 0 else None


def _currency(value: object) -> str:
    code = _text(value).upper()
    return code if re.fullmatch(r"[A-Z]{3}", code) else CUSTOM_CURRENCY
