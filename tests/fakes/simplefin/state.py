"""The fake SimpleFIN Bridge's in-memory world and the scripting API tests drive it with.

Everything here is guarded by one lock: tests script the world from their own thread while uvicorn
answers requests from another. Records handed back are copies; change the world through the methods.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import itertools
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from tests.fakes.simplefin.access_control import basic_credentials, count_request, requests_in_scope
from tests.fakes.simplefin.clock import SECONDS_PER_DAY, FakeClock
from tests.fakes.simplefin.models import (
    ALL_ENDPOINTS,
    Access,
    Account,
    Connection,
    CustomCurrency,
    Endpoint,
    Fault,
    JsonObject,
    RecordedRequest,
    SetupToken,
    Transaction,
    money,
)
from tests.fakes.simplefin.query import AccountsQuery, BadQuery, parse_accounts_query
from tests.fakes.simplefin.render import render_account_set
from tests.fakes.simplefin.selection import AccountSet, Problem, select_account_set
from tests.fakes.simplefin.settings import BridgeSettings

FORBIDDEN_CLAIM = "Forbidden (was it already claimed?)"
FORBIDDEN_ACCOUNTS = "Forbidden"
PAYMENT_REQUIRED = "Payment Required"


@dataclass(frozen=True)
class Refusal:
    """A plain-text, JSON-less answer of `/accounts` (spec §7): 400, 402 or 403."""

    status: int
    text: str


class BridgeState:
    """The Bridge of one test: its connections and accounts, its setup tokens and accesses, its faults.

    `root_url` (e.g. `http://127.0.0.1:PORT/simplefin`) is known once a server runs the state;
    `running_bridge` binds it. Minting tokens and issuing accesses need it.
    """

    def __init__(
        self,
        *,
        settings: BridgeSettings | None = None,
        clock: FakeClock | None = None,
        root_url: str | None = None,
    ) -> None:
        self.settings = settings or BridgeSettings()
        self.clock = clock or FakeClock(int(time.time()))
        self._root_url = root_url
        self._lock = threading.RLock()
        self._release_hung = threading.Event()
        self._hold_numbers = itertools.count(1)
        self._forget_everything()

    def reset(self, *, settings: BridgeSettings | None = None) -> None:
        """Forget the world, tokens, accesses, faults, requests and counters; settings back to `settings`
        or the defaults; held requests released. The clock and the root URL stay. Lets one running
        server serve many tests."""
        with self._lock:
            self.settings = settings or BridgeSettings()
            self._forget_everything()
            released, self._release_hung = self._release_hung, threading.Event()
        released.set()

    def _forget_everything(self) -> None:
        self._connections: dict[str, Connection] = {}
        self._accounts: dict[str, Account] = {}
        self._claim_codes: dict[str, frozenset[str] | None] = {}
        self._accesses: dict[str, Access] = {}
        self._currencies: dict[str, CustomCurrency] = {}
        self._faults: dict[Endpoint, Fault] = {}
        self._requests: list[RecordedRequest] = []
        self._payment_required = False
        self._serials: dict[str, int] = {}
        self._held: set[int] = set()

    # -- the server's address -------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        if self._root_url is None:
            raise RuntimeError("the fake Bridge has no root URL yet: run it with running_bridge(state)")
        return self._root_url

    def bind_root_url(self, root_url: str) -> None:
        self._root_url = root_url.rstrip("/")

    # -- connections, accounts, transactions ----------------------------------------------------------

    def add_connection(
        self,
        conn_id: str,
        *,
        name: str,
        org_id: str,
        org_name: str,
        org_domain: str | None = None,
        org_url: str | None = None,
        sfin_url: str | None = None,
    ) -> Connection:
        """A login at an institution (spec §6.3). `sfin_url` None renders as the Bridge's root URL."""
        connection = Connection(conn_id, name, org_id, org_name, org_domain, org_url, sfin_url)
        with self._lock:
            _refuse_duplicate(conn_id in self._connections, "connection", conn_id)
            self._connections[conn_id] = connection
        return dataclasses.replace(connection)

    def add_account(
        self,
        account_id: str,
        *,
        conn_id: str,
        name: str,
        currency: str = "USD",
        balance: str | Decimal = "0.00",
        available_balance: str | Decimal | None = None,
        balance_date: int | None = None,
        extra: JsonObject | None = None,
        holdings: Sequence[JsonObject] | None = None,
    ) -> Account:
        """An account of a connection (spec §6.4); `balance_date` defaults to the clock's now.
        `currency` may be a custom currency's URL (see `add_custom_currency`)."""
        with self._lock:
            _refuse_duplicate(account_id in self._accounts, "account", account_id)
            if conn_id not in self._connections:
                raise KeyError(f"no connection {conn_id!r}")
            account = Account(
                id=account_id,
                conn_id=conn_id,
                name=name,
                currency=currency,
                balance=money(balance),
                balance_date=self.clock() if balance_date is None else balance_date,
                available_balance=None if available_balance is None else money(available_balance),
                extra=dict(extra) if extra is not None else None,
                holdings=[dict(h) for h in holdings] if holdings is not None else None,
            )
            self._accounts[account_id] = account
        return dataclasses.replace(account, transactions=[])

    def set_balance(
        self,
        account_id: str,
        balance: str | Decimal,
        *,
        available_balance: str | Decimal | None = None,
        balance_date: int | None = None,
    ) -> None:
        with self._lock:
            account = self._account(account_id)
            account.balance = money(balance)
            account.available_balance = None if available_balance is None else money(available_balance)
            account.balance_date = self.clock() if balance_date is None else balance_date

    def add_transaction(
        self,
        account_id: str,
        transaction_id: str,
        *,
        posted: int,
        amount: str | Decimal,
        description: str,
        transacted_at: int | None = None,
        payee: str | None = None,
        memo: str | None = None,
        extra: JsonObject | None = None,
    ) -> Transaction:
        """A posted transaction (spec §6.5); positive `amount` is money into the account."""
        if posted <= 0:
            raise ValueError("a posted transaction needs a posted time; use add_pending for pendings")
        transaction = Transaction(
            id=transaction_id,
            posted=posted,
            amount=money(amount),
            description=description,
            transacted_at=transacted_at,
            payee=payee,
            memo=memo,
            extra=dict(extra) if extra is not None else None,
        )
        return self._add(account_id, transaction)

    def add_pending(
        self,
        account_id: str,
        transaction_id: str,
        *,
        transacted_at: int,
        amount: str | Decimal,
        description: str,
        posted: int = 0,
        payee: str | None = None,
        memo: str | None = None,
        extra: JsonObject | None = None,
    ) -> Transaction:
        """A pending transaction: `pending: true`, `posted: 0` as the Bridge sends it (spec §6.5, §9)."""
        transaction = Transaction(
            id=transaction_id,
            posted=posted,
            amount=money(amount),
            description=description,
            transacted_at=transacted_at,
            pending=True,
            payee=payee,
            memo=memo,
            extra=dict(extra) if extra is not None else None,
        )
        return self._add(account_id, transaction)

    def post_pending(
        self,
        account_id: str,
        transaction_id: str,
        *,
        posted: int,
        new_id: str | None = None,
        amount: str | Decimal | None = None,
        keep_pending: bool = False,
    ) -> Transaction:
        """The bank posts a pending transaction (spec §9).

        `new_id` None: the same id comes back with a real `posted` and no `pending`. With `new_id`: the
        pending disappears and a posted copy appears under the new id (the common Bridge case), with
        `amount` changed if given (a tip); `keep_pending=True` leaves the pending lingering beside it.
        """
        with self._lock:
            account = self._account(account_id)
            pending = _find(account, transaction_id)
            if not pending.pending:
                raise ValueError(f"transaction {transaction_id!r} is not pending")
            new_amount = pending.amount if amount is None else money(amount)
            if new_id is None:
                if keep_pending:
                    raise ValueError("a pending posted under its own id cannot also linger")
                pending.posted, pending.pending, pending.amount = posted, False, new_amount
                return dataclasses.replace(pending)
            if not keep_pending:
                account.transactions.remove(pending)
            posted_copy = dataclasses.replace(
                pending,
                id=new_id,
                posted=posted,
                pending=False,
                amount=new_amount,
                extra=dict(pending.extra) if pending.extra is not None else None,
            )
            return self._add(account_id, posted_copy)

    def remove_transaction(self, account_id: str, transaction_id: str) -> None:
        with self._lock:
            account = self._account(account_id)
            account.transactions.remove(_find(account, transaction_id))

    def rotate_ids(
        self,
        account_id: str,
        *,
        start: int,
        end: int,
        new_id: Callable[[Transaction], str] | None = None,
    ) -> dict[str, str]:
        """Re-issue the ids of posted transactions with `start <= posted < end`, all else unchanged, as the
        Bridge did for whole date blocks (spec §9). Default new id: `{old}-R{n}`, n counting in `posted`
        order. Returns old → new."""
        with self._lock:
            account = self._account(account_id)
            taken = {t.id for t in account.transactions}
            renamed: dict[str, str] = {}
            for transaction in sorted(account.transactions, key=lambda t: (t.posted, t.sequence)):
                if transaction.pending or not start <= transaction.posted < end:
                    continue
                replacement = (
                    new_id(transaction) if new_id else f"{transaction.id}-R{self._next_serial('rotation')}"
                )
                if replacement in taken:
                    raise ValueError(f"transaction id {replacement!r} was already used in {account_id!r}")
                taken.add(replacement)
                renamed[transaction.id] = replacement
                transaction.id = replacement
            return renamed

    def transactions(self, account_id: str) -> list[Transaction]:
        """Copies of an account's transactions as stored (pendings included), for assertions."""
        with self._lock:
            return [dataclasses.replace(t) for t in self._account(account_id).transactions]

    # -- failures of the institutions -----------------------------------------------------------------

    def fail_account(self, account_id: str, *, omit: bool = True) -> None:
        """`act.failed` (spec §6.2): the account is left out, or (`omit=False`) listed
        without transactions."""
        with self._lock:
            account = self._account(account_id)
            account.failure, account.omitted_when_failed = "act.failed", omit

    def mark_missing_data(self, account_id: str) -> None:
        """`act.missingdata` (spec §6.2): the account is listed with what transactions there are."""
        with self._lock:
            self._account(account_id).failure = "act.missingdata"

    def recover_account(self, account_id: str) -> None:
        with self._lock:
            self._account(account_id).failure = None

    def require_reauth(self, conn_id: str, needed: bool = True) -> None:
        """`con.auth` in v2, `Connection to {org name} may need attention` in v1 (spec §6.2, §8)."""
        with self._lock:
            self._connection(conn_id).needs_reauth = needed

    def add_custom_currency(self, code: str, *, name: str, abbr: str) -> CustomCurrency:
        """A custom currency (spec §6.4); its `url` is served and is what an account's `currency` holds."""
        currency = CustomCurrency(code, name, abbr, f"{self.root_url}/currencies/{code}")
        with self._lock:
            _refuse_duplicate(code in self._currencies, "currency", code)
            self._currencies[code] = currency
        return currency

    def custom_currency(self, code: str) -> CustomCurrency | None:
        with self._lock:
            return self._currencies.get(code)

    # -- setup tokens and accesses --------------------------------------------------------------------

    def mint_setup_token(
        self, code: str | None = None, *, conn_ids: Iterable[str] | None = None
    ) -> SetupToken:
        """A one-time SimpleFIN Token = Base64(`{root}/claim/{code}`) (spec §2). The access it yields sees
        `conn_ids` only, or every connection when None."""
        with self._lock:
            code = code or f"claim-{self._next_serial('claim'):04d}"
            _refuse_duplicate(code in self._claim_codes, "claim code", code)
            self._claim_codes[code] = frozenset(conn_ids) if conn_ids is not None else None
        claim_url = f"{self.root_url}/claim/{code}"
        return SetupToken(code, claim_url, base64.b64encode(claim_url.encode()).decode())

    def claim(self, code: str) -> str | None:
        """The access URL for a claim code, once (the demo code every time); None → 403 (spec §2)."""
        with self._lock:
            if code == self.settings.demo_code:
                return self._demo_access().url
            if code not in self._claim_codes:
                return None
            conn_ids = self._claim_codes.pop(code)
            return self._issue(conn_ids).url

    def issue_access(self, *, conn_ids: Iterable[str] | None = None) -> Access:
        """An access as if a setup token had been claimed, for tests that skip the claim."""
        with self._lock:
            return dataclasses.replace(self._issue(frozenset(conn_ids) if conn_ids is not None else None))

    def revoke_access(self, username: str) -> None:
        """The user disables the access on the Bridge: `/accounts` answers 403 from now on (spec §7)."""
        with self._lock:
            self._access(username).revoked = True

    def access(self, username: str) -> Access:
        with self._lock:
            return dataclasses.replace(self._access(username))

    def set_payment_required(self, required: bool = True) -> None:
        """The user's Bridge subscription lapsed: `/accounts` answers 402 (spec §7)."""
        with self._lock:
            self._payment_required = required

    def requests_today(self, username: str, *, account_id: str | None = None) -> int:
        """Authenticated `/accounts` requests of this UTC day (of the clock) in one quota scope: all accounts,
        or single-account requests for `account_id` (spec §8)."""
        with self._lock:
            return requests_in_scope(self._access(username), day=self._day(), account_id=account_id)

    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    # -- faults ---------------------------------------------------------------------------------------

    def inject_fault(self, fault: Fault, *, endpoints: Collection[Endpoint] = ALL_ENDPOINTS) -> None:
        with self._lock:
            for endpoint in endpoints:
                self._faults[endpoint] = fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def fault_for(self, endpoint: Endpoint) -> Fault | None:
        with self._lock:
            return self._faults.get(endpoint)

    def hung_request_count(self) -> int:
        """Requests being held by `Fault.HANG` right now."""
        with self._lock:
            return len(self._held)

    def release_hung_requests(self) -> None:
        """Let held requests end (with 503) and stop holding new ones; the server does it on shutdown."""
        self._release_hung.set()

    # -- used by the app ------------------------------------------------------------------------------

    def hang_started(self) -> int:
        with self._lock:
            number = next(self._hold_numbers)
            self._held.add(number)
            return number

    def hang_ended(self, number: int) -> None:
        with self._lock:
            self._held.discard(number)

    def wait_for_hung_requests_release(self) -> None:
        with self._lock:
            release = self._release_hung
        release.wait()

    def record(
        self,
        endpoint: Endpoint,
        method: str,
        query: Sequence[tuple[str, str]],
        username: str | None,
        status: int | None,
    ) -> None:
        with self._lock:
            recorded = RecordedRequest(endpoint, method, tuple(query), username, status, self.clock())
            self._requests.append(recorded)

    def answer_accounts(
        self, authorization: str | None, query_items: Sequence[tuple[str, str]]
    ) -> JsonObject | Refusal:
        """`GET /accounts`: 403 for bad, revoked or over-quota credentials, 402 if unpaid, else an
        Account Set."""
        with self._lock:
            access = self._authenticated(authorization)
            if access is None:
                return Refusal(403, FORBIDDEN_ACCOUNTS)
            if self._payment_required:
                return Refusal(402, PAYMENT_REQUIRED)
            try:
                query = parse_accounts_query(query_items)
            except BadQuery as error:
                return Refusal(400, str(error))
            count = count_request(access, day=self._day(), account_ids=query.account_ids)
            if count >= self.settings.quota_block_at:
                access.disabled_for_overuse = True
                return Refusal(403, FORBIDDEN_ACCOUNTS)
            version = query.version or self.settings.default_version
            account_set = self._select(access, query, version)
            if count >= self.settings.quota_warn_at:
                warning = Problem(self.settings.quota_warning_code, self.settings.quota_warning)
                account_set = dataclasses.replace(account_set, problems=[*account_set.problems, warning])
            return render_account_set(
                account_set, version=version, root_url=self.root_url, settings=self.settings
            )

    def username_of(self, authorization: str | None) -> str | None:
        credentials = basic_credentials(authorization)
        return credentials[0] if credentials else None

    # -- internals ------------------------------------------------------------------------------------

    def _select(self, access: Access, query: AccountsQuery, version: Literal[1, 2]) -> AccountSet:
        allowed = access.conn_ids
        visible = [c for c in self._connections.values() if allowed is None or c.conn_id in allowed]
        visible_ids = {c.conn_id for c in visible}
        return select_account_set(
            connections=visible,
            accounts=[a for a in self._accounts.values() if a.conn_id in visible_ids],
            query=query,
            version=version,
            now=self.clock(),
            settings=self.settings,
        )

    def _authenticated(self, authorization: str | None) -> Access | None:
        credentials = basic_credentials(authorization)
        if credentials is None:
            return None
        access = self._accesses.get(credentials[0])
        if access is None or not hmac.compare_digest(access.password, credentials[1]):
            return None
        if access.revoked or access.disabled_for_overuse:
            return None
        return access

    def _issue(self, conn_ids: frozenset[str] | None) -> Access:
        serial = self._next_serial("access")
        username = f"user{serial:04d}"
        password = hashlib.sha256(f"linkgate-fake-simplefin-{serial}".encode()).hexdigest()[:32]
        return self._store_access(Access(username, password, self._access_url(username, password), conn_ids))

    def _demo_access(self) -> Access:
        existing = self._accesses.get("demo")
        return existing or self._store_access(Access("demo", "demo", self._access_url("demo", "demo")))

    def _store_access(self, access: Access) -> Access:
        self._accesses[access.username] = access
        return access

    def _access_url(self, username: str, password: str) -> str:
        """`scheme://user:pass@host/root` (spec §2, §3); http because the fake listens on loopback only."""
        parts = urlsplit(self.root_url)
        return urlunsplit(parts._replace(netloc=f"{username}:{password}@{parts.netloc}"))

    def _add(self, account_id: str, transaction: Transaction) -> Transaction:
        with self._lock:
            account = self._account(account_id)
            taken = any(t.id == transaction.id for t in account.transactions)
            _refuse_duplicate(taken, "transaction", transaction.id)
            transaction.sequence = self._next_serial("transaction")
            account.transactions.append(transaction)
            return dataclasses.replace(transaction)

    def _day(self) -> int:
        """The UTC day number of the clock: quotas refill per day (spec §8)."""
        return self.clock() // SECONDS_PER_DAY

    def _next_serial(self, kind: str) -> int:
        """1, 2, 3… per kind, so ids and credentials are the same in every run."""
        with self._lock:
            self._serials[kind] = self._serials.get(kind, 0) + 1
            return self._serials[kind]

    def _account(self, account_id: str) -> Account:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise KeyError(f"no account {account_id!r}") from None

    def _connection(self, conn_id: str) -> Connection:
        try:
            return self._connections[conn_id]
        except KeyError:
            raise KeyError(f"no connection {conn_id!r}") from None

    def _access(self, username: str) -> Access:
        try:
            return self._accesses[username]
        except KeyError:
            raise KeyError(f"no access {username!r}") from None


def _find(account: Account, transaction_id: str) -> Transaction:
    for transaction in account.transactions:
        if transaction.id == transaction_id:
            return transaction
    raise KeyError(f"no transaction {transaction_id!r} in account {account.id!r}")


def _refuse_duplicate(exists: bool, what: str, key: str) -> None:
    if exists:
        raise ValueError(f"{what} {key!r} already exists")
