"""The fake Plaid's in-memory world and the scripting API tests drive it with.

Everything is guarded by one re-entrant lock (`state.lock`): tests script the world from their own
thread while uvicorn answers requests from another. Webhooks are delivered outside the lock, so a
receiver may call `/webhook_verification_key/get` back while the fake waits for its answer.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.plaid import catalog
from tests.fakes.plaid.clock import FakeClock, iso_date, iso_datetime
from tests.fakes.plaid.errors import PlaidFailure
from tests.fakes.plaid.models import (
    ENDPOINTS,
    Account,
    AccountSpec,
    Change,
    ChangeKind,
    Delivery,
    Fault,
    Institution,
    Item,
    JsonObject,
    LinkToken,
    OAuthState,
    PublicToken,
    RecordedRequest,
    Transaction,
    Violation,
    WebhookTampering,
)
from tests.fakes.plaid.sync import SyncEngine
from tests.fakes.plaid.webhooks import SigningKey, deliver, refuse_non_loopback

LINK_TOKEN_LIFETIME_S = 4 * 3600
UPDATE_LINK_TOKEN_LIFETIME_S = 30 * 60
PUBLIC_TOKEN_LIFETIME_S = 30 * 60
ENVIRONMENTS = ("sandbox", "production")
UPDATE_STATUSES = (
    "TRANSACTIONS_UPDATE_STATUS_UNKNOWN",
    "NOT_READY",
    "INITIAL_UPDATE_COMPLETE",
    "HISTORICAL_UPDATE_COMPLETE",
)
DEFAULT_CREDENTIALS = ("client-id-fake", "secret-fake")


def plaid_id(*parts: object) -> str:
    """A 37-character base62-looking id, deterministic in `parts` (as Plaid's ids look, plaid.md §1)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=48).digest()
    text = base64.b64encode(digest).decode().replace("+", "").replace("/", "")
    return text[:37]


class PlaidState:
    """The Plaid of one test: API keys, institutions, Items, tokens, faults, signing keys, and what
    clients sent (`requests`, `violations`) and what webhooks went out (`deliveries`).

    `base_url` (e.g. `http://127.0.0.1:PORT`) is known once `running_plaid(state)` serves the state.
    """

    def __init__(
        self,
        *,
        clock: FakeClock | None = None,
        environment: str = "sandbox",
        credentials: Iterable[tuple[str, str]] = (DEFAULT_CREDENTIALS,),
        seed_transactions: bool = True,
        validate_responses: bool = True,
        require_version_header: bool = True,
    ) -> None:
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment must be one of {ENVIRONMENTS}")
        self.clock = clock or FakeClock(time.time())
        self.environment = environment
        self.seed_transactions = seed_transactions
        """New Items with the transactions product start with a few sample transactions."""
        self.validate_responses = validate_responses
        """Judge every answer against the OpenAPI file (off only for benchmarks that page huge histories)."""
        self.require_version_header = require_version_header
        """A request without `Plaid-Version` is a violation (the spec lists it as a security requirement)."""
        self.lock = threading.RLock()
        self._initial_credentials = tuple(credentials)
        self._base_url: str | None = None
        self._forget_everything()

    def reset(self) -> None:
        """Forget Items, tokens, faults, records and scripted behaviour; keys back to the constructor's;
        a fresh signing key. The clock, environment and base URL stay (one server can serve many tests)."""
        with self.lock:
            self._forget_everything()

    def _forget_everything(self) -> None:
        self._credentials: dict[str, str] = dict(self._initial_credentials)
        self._institutions: dict[str, Institution] = {i.institution_id: i for i in catalog.INSTITUTIONS}
        self._items: dict[str, Item] = {}
        self._items_by_token: dict[str, str] = {}
        self._link_tokens: dict[str, LinkToken] = {}
        self._public_tokens: dict[str, PublicToken] = {}
        self._oauth_states: dict[str, OAuthState] = {}
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._violations: list[Violation] = []
        self._deliveries: list[Delivery] = []
        self._fake_bugs: list[str] = []
        self._keys: list[SigningKey] = [SigningKey.generate(int(self.clock()))]
        self._serial = 0
        self.sync_engine = SyncEngine()
        self.webhook_tampering = WebhookTampering()
        """Set its fields to make the next webhooks fail verification (see `WebhookTampering`)."""
        self.link_exit_error: str | None = None
        """An error code (e.g. "INVALID_LINK_TOKEN") the fake Link script ends every session with."""
        self.link_exit_status: str | None = None
        """An exit status (e.g. "institution_not_found") the fake Link script exits with, error null."""

    # -- address and records --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the fake Plaid has no base URL yet: serve it with running_plaid(state)")
        return self._base_url

    def bind_base_url(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")

    @property
    def link_script_url(self) -> str:
        """Where the fake serves its Link script (for `LINKGATE_PLAID_LINK_SCRIPT_URL`)."""
        return f"{self.base_url}/link/v2/stable/link-initialize.js"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received (bodies without `secret`), oldest first."""
        with self.lock:
            return list(self._requests)

    @property
    def violations(self) -> list[Violation]:
        """Requests the OpenAPI description refuses; a correct client leaves this empty."""
        with self.lock:
            return list(self._violations)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook POST made, oldest first."""
        with self.lock:
            return list(self._deliveries)

    @property
    def fake_bugs(self) -> list[str]:
        """Answers of the fake that failed the OpenAPI description (`running_plaid` raises on exit)."""
        with self.lock:
            return list(self._fake_bugs)

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self._requests.append(request)

    def record_violation(self, violation: Violation) -> None:
        with self.lock:
            self._violations.append(violation)

    def record_fake_bug(self, problem: str) -> None:
        with self.lock:
            self._fake_bugs.append(problem)

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.endpoint == endpoint]

    # -- API keys -------------------------------------------------------------------------------------

    def add_credentials(self, client_id: str, secret: str) -> None:
        """Accept another (client_id, secret) pair, e.g. an operator's beside an app's own."""
        with self.lock:
            self._credentials[client_id] = secret

    def check_credentials(self, client_id: str | None, secret: str | None) -> str:
        """The client id if the pair is known, else INVALID_API_KEYS."""
        with self.lock:
            if client_id is None or secret is None or self._credentials.get(client_id) != secret:
                raise PlaidFailure("INVALID_API_KEYS")
            return client_id

    @property
    def default_client_id(self) -> str:
        return self._initial_credentials[0][0] if self._initial_credentials else DEFAULT_CREDENTIALS[0]

    # -- institutions ---------------------------------------------------------------------------------

    def add_institution(self, institution: Institution) -> None:
        with self.lock:
            self._institutions[institution.institution_id] = institution

    def institutions(self) -> list[Institution]:
        with self.lock:
            return list(self._institutions.values())

    def institution(self, institution_id: str) -> Institution:
        with self.lock:
            if institution_id not in self._institutions:
                raise PlaidFailure("INVALID_INSTITUTION", f"unknown institution_id {institution_id!r}")
            return self._institutions[institution_id]

    # -- tokens and Items -----------------------------------------------------------------------------

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def _token(self, kind: str) -> str:
        return f"{kind}-{self.environment}-{uuid.uuid4()}"

    def create_link_token(self, client_id: str, request: Mapping[str, Any]) -> LinkToken:
        """What `/link/token/create` does: update mode (with `access_token`) lives 30 min, else 4 h."""
        with self.lock:
            update_item_id = None
            if request.get("access_token") is not None:
                access_token = str(request["access_token"])
                update_item_id = self.item_for_token(client_id, access_token, check_error=False).item_id
            now = self.clock()
            lifetime = UPDATE_LINK_TOKEN_LIFETIME_S if update_item_id else LINK_TOKEN_LIFETIME_S
            token = LinkToken(
                self._token("link"), client_id, dict(request), now, now + lifetime, update_item_id
            )
            self._link_tokens[token.link_token] = token
            return dataclasses.replace(token)

    @property
    def link_tokens(self) -> list[LinkToken]:
        """Every link token minted, oldest first, with the request that created it."""
        with self.lock:
            return [dataclasses.replace(t) for t in self._link_tokens.values()]

    def link_token(self, link_token: str) -> LinkToken:
        """A live link token, or INVALID_LINK_TOKEN when unknown or expired."""
        with self.lock:
            token = self._link_tokens.get(link_token)
            if token is None or token.expires_at <= self.clock():
                raise PlaidFailure("INVALID_LINK_TOKEN")
            return dataclasses.replace(token)

    def complete_link(
        self,
        link_token: str,
        *,
        institution_id: str = "ins_109508",
        accounts: Sequence[AccountSpec] | None = None,
    ) -> str:
        """A Link session succeeded: create the Item (or, in update mode, clear its error) and return the
        public token onSuccess hands over. What the fake Link script triggers."""
        with self.lock:
            token = self.link_token(link_token)
            if token.update_item_id is not None:
                item = self._items[token.update_item_id]
                item.error_code = None
                return self._mint_public_token(item.item_id)
            supported = self.institution(institution_id).products
            extras = [
                str(p)
                for field in ("required_if_supported_products", "optional_products")
                for p in token.request.get(field) or []  # type: ignore[attr-defined]
                if p in supported and p not in token.products
            ]
            item = self._create_item(
                client_id=token.client_id,
                institution_id=institution_id,
                products=(token.products or ["transactions"]) + extras,
                webhook=token.webhook,
                accounts=accounts,
                client_user_id=token.client_user_id,
            )
            return self._mint_public_token(item.item_id)

    def create_item(
        self,
        *,
        institution_id: str = "ins_109508",
        products: Sequence[str] = ("transactions",),
        webhook: str | None = None,
        accounts: Sequence[AccountSpec] | None = None,
        client_id: str | None = None,
    ) -> Item:
        """An Item without going through Link; read its `access_token` and `item_id` from the copy."""
        with self.lock:
            item = self._create_item(
                client_id=client_id or self.default_client_id,
                institution_id=institution_id,
                products=list(products),
                webhook=webhook,
                accounts=accounts,
                client_user_id=None,
            )
            return dataclasses.replace(item)

    def _create_item(
        self,
        *,
        client_id: str,
        institution_id: str,
        products: list[str],
        webhook: str | None,
        accounts: Sequence[AccountSpec] | None,
        client_user_id: str | None,
    ) -> Item:
        institution = self.institution(institution_id)
        unsupported = [p for p in products if p not in institution.products]
        if unsupported:
            raise PlaidFailure("PRODUCTS_NOT_SUPPORTED", f"{institution.name} does not support {unsupported}")
        serial = self._next()
        item = Item(
            item_id=plaid_id("item", serial),
            access_token=self._token("access"),
            institution_id=institution_id,
            client_id=client_id,
            products=list(products),
            webhook=webhook,
            created_at=self.clock(),
            client_user_id=client_user_id,
        )
        routing = institution.routing_numbers[0] if institution.routing_numbers else "011401533"
        for number, spec in enumerate(accounts if accounts is not None else catalog.DEFAULT_ACCOUNTS):
            account_id = plaid_id("account", serial, number)
            investment = spec.type == "investment"
            item.accounts[account_id] = Account(
                account_id=account_id,
                spec=spec,
                account_number=f"{1111222233330000 + serial * 10 + number}",
                routing=routing,
                wire_routing=routing,
                owners=[catalog.DEFAULT_OWNER],
                margin_loan_amount=0.0 if investment else None,
            )
        self._items[item.item_id] = item
        self._items_by_token[item.access_token] = item.item_id
        self._seed(item)
        return item

    def _seed(self, item: Item) -> None:
        now = self.clock()
        spending = [a for a in item.accounts.values() if a.spec.type in ("depository", "credit")]
        if self.seed_transactions and "transactions" in item.products and spending:
            for number, (name, merchant, amount, days, pending, channel) in enumerate(
                catalog.SEED_TRANSACTIONS
            ):
                account = spending[0] if number % 3 else spending[-1]
                self._add(item, Transaction(
                    plaid_id("txn", item.item_id, number), account.account_id, amount,
                    iso_date(now, days_back=days), name, pending, merchant, None,
                    iso_date(now, days_back=days + 1), channel,
                ))  # fmt: skip
        for account in item.accounts.values():
            if account.spec.type != "investment":
                continue
            item.securities = [dict(s) for s in catalog.SECURITIES]
            etf, cash = (str(s["security_id"]) for s in catalog.SECURITIES)
            item.holdings = [
                _holding(account.account_id, etf, price=27.0, quantity=10.0, cost_basis=200.0),
                _holding(account.account_id, cash, price=1.0, quantity=50.76, cost_basis=50.76),
            ]
            item.investment_transactions = [
                _investment_transaction(
                    plaid_id("inv", item.item_id, 1), account.account_id, etf, iso_date(now, days_back=20),
                    "buy", "buy", "BUY Vanguard Total Stock Market ETF", quantity=10.0, price=20.0,
                ),
                _investment_transaction(
                    plaid_id("inv", item.item_id, 2), account.account_id, etf, iso_date(now, days_back=10),
                    "cash", "dividend", "DIVIDEND Vanguard Total Stock Market ETF", quantity=0.0, price=0.0,
                    amount=-1.5,
                ),
            ]  # fmt: skip
            break

    def _mint_public_token(self, item_id: str) -> str:
        token = PublicToken(self._token("public"), item_id, self.clock() + PUBLIC_TOKEN_LIFETIME_S)
        self._public_tokens[token.public_token] = token
        return token.public_token

    def public_token_for(self, item_id: str) -> str:
        """A fresh public token of an existing Item (as `/sandbox/public_token/create` would give)."""
        with self.lock:
            self._live_item(item_id)
            return self._mint_public_token(item_id)

    def exchange(self, client_id: str, public_token: str) -> Item:
        """`/item/public_token/exchange`: single use, 30 minutes, only by the client that made it."""
        with self.lock:
            token = self._public_tokens.get(public_token)
            if token is None or token.used or token.expires_at <= self.clock():
                raise PlaidFailure("INVALID_PUBLIC_TOKEN")
            item = self._items[token.item_id]
            if item.client_id != client_id or item.removed:
                raise PlaidFailure("INVALID_PUBLIC_TOKEN")
            token.used = True
            return item

    def item_for_token(self, client_id: str, access_token: str, *, check_error: bool = True) -> Item:
        """The live Item of `access_token` for this client (the live record: hold `lock`). Wrong env,
        unknown, removed or another client's → INVALID_ACCESS_TOKEN; with `check_error`, an Item in error
        answers its error."""
        with self.lock:
            item_id = self._items_by_token.get(access_token)
            item = self._items.get(item_id) if item_id else None
            if item is None or item.removed or item.client_id != client_id:
                raise PlaidFailure("INVALID_ACCESS_TOKEN")
            if check_error and item.error_code is not None:
                raise PlaidFailure(item.error_code)
            return item

    def _live_item(self, item_id: str) -> Item:
        item = self._items.get(item_id)
        if item is None:
            raise KeyError(f"no Item {item_id!r}")
        return item

    def item(self, item_id: str) -> Item:
        """A shallow copy of an Item, to read (change it through the methods)."""
        with self.lock:
            return dataclasses.replace(self._live_item(item_id))

    def items(self) -> list[Item]:
        with self.lock:
            return [dataclasses.replace(i) for i in self._items.values()]

    def item_id_for(self, access_token: str) -> str:
        with self.lock:
            return self._items_by_token[access_token]

    def account_ids(self, item_id: str, *, type: str | None = None) -> list[str]:
        with self.lock:
            accounts = self._live_item(item_id).accounts.values()
            return [a.account_id for a in accounts if type is None or a.spec.type == type]

    def set_balance(
        self, item_id: str, account_id: str, *, current: float | None, available: float | None = None
    ) -> None:
        """New balances for an account (what `/accounts/get` shows from now on)."""
        with self.lock:
            account = self._live_item(item_id).accounts[account_id]
            account.spec = dataclasses.replace(account.spec, current=current, available=available)

    def add_account(self, item_id: str, spec: AccountSpec) -> str:
        """A new account appears on the Item (e.g. before ITEM / NEW_ACCOUNTS_AVAILABLE). Returns its id."""
        with self.lock:
            item = self._live_item(item_id)
            serial = self._next()
            account_id = plaid_id("account", item_id, "added", serial)
            template = next(iter(item.accounts.values()), None)
            routing = template.routing if template else "011401533"
            item.accounts[account_id] = Account(
                account_id=account_id,
                spec=spec,
                account_number=f"{2222333344440000 + serial}",
                routing=routing,
                wire_routing=routing,
                owners=[catalog.DEFAULT_OWNER],
                margin_loan_amount=0.0 if spec.type == "investment" else None,
            )
            return account_id

    def remove_item(self, item_id: str) -> None:
        """As `/item/remove`: the access token answers INVALID_ACCESS_TOKEN from now on."""
        with self.lock:
            self._live_item(item_id).removed = True

    def set_error(self, item_id: str, error_code: str | None) -> None:
        """Put the Item in an error state (e.g. USER_PERMISSION_REVOKED); None clears it."""
        with self.lock:
            if error_code is not None:
                PlaidFailure(error_code)  # refuse unknown codes early
            self._live_item(item_id).error_code = error_code

    def require_login(self, item_id: str) -> None:
        """The Item needs the user again: data calls answer ITEM_LOGIN_REQUIRED until update mode."""
        self.set_error(item_id, "ITEM_LOGIN_REQUIRED")

    def set_webhook(self, item_id: str, url: str | None) -> None:
        with self.lock:
            self._live_item(item_id).webhook = url

    def set_transactions_status(self, item_id: str, status: str) -> None:
        """NOT_READY (or UNKNOWN) makes `/transactions/sync` answer empty arrays, as before the first pull."""
        if status not in UPDATE_STATUSES:
            raise ValueError(f"status must be one of {UPDATE_STATUSES}")
        with self.lock:
            self._live_item(item_id).update_status = status

    # -- transactions ---------------------------------------------------------------------------------

    def _add(self, item: Item, transaction: Transaction) -> None:
        if transaction.transaction_id in item.transactions:
            raise ValueError(f"transaction {transaction.transaction_id!r} already exists")
        item.transactions[transaction.transaction_id] = transaction
        self._log(item, "added", transaction)

    def _log(self, item: Item, kind: ChangeKind, transaction: Transaction) -> None:
        item.log.append(Change(kind, transaction.transaction_id, transaction.account_id))
        item.generation += 1

    def add_transactions(self, item_id: str, transactions: Sequence[Mapping[str, Any]]) -> list[str]:
        """Append transactions; each mapping has `amount` (positive = money out), `date` (YYYY-MM-DD) and
        `name`, optionally `account_id` (default: the Item's first depository account), `transaction_id`,
        `pending`, `merchant_name`, `pending_transaction_id`, `authorized_date`, `payment_channel`,
        `currency`. Returns the ids."""
        with self.lock:
            item = self._live_item(item_id)
            ids = []
            for fields in transactions:
                serial = self._next()
                account_id = str(fields.get("account_id") or self._first_account(item))
                if account_id not in item.accounts:
                    raise KeyError(f"no account {account_id!r} on Item {item_id!r}")
                transaction = Transaction(
                    transaction_id=str(
                        fields.get("transaction_id") or plaid_id("txn", item_id, "add", serial)
                    ),
                    account_id=account_id,
                    amount=float(fields["amount"]),
                    date=str(fields["date"]),
                    name=str(fields["name"]),
                    pending=bool(fields.get("pending", False)),
                    merchant_name=fields.get("merchant_name"),
                    pending_transaction_id=fields.get("pending_transaction_id"),
                    authorized_date=fields.get("authorized_date"),
                    payment_channel=str(fields.get("payment_channel", "other")),
                    currency=str(fields.get("currency", "USD")),
                )
                self._add(item, transaction)
                ids.append(transaction.transaction_id)
            return ids

    def _first_account(self, item: Item) -> str:
        for account in item.accounts.values():
            if account.spec.type == "depository":
                return account.account_id
        return next(iter(item.accounts))

    def post_pending(
        self, item_id: str, pending_id: str, new_id: str | None = None, *, amount: float | None = None,
        date: str | None = None,
    ) -> str:  # fmt: skip
        """The bank posts a pending transaction: the pending one is removed and a posted one added, with
        `pending_transaction_id` pointing to it (plaid-upstream.md §6). Returns the posted id."""
        with self.lock:
            item = self._live_item(item_id)
            pending = item.transactions.get(pending_id)
            if pending is None or not pending.pending:
                raise KeyError(f"no pending transaction {pending_id!r}")
            self.remove(item_id, pending_id)
            posted = dataclasses.replace(
                pending,
                transaction_id=new_id or plaid_id("txn", item_id, "posted", pending_id),
                pending=False,
                pending_transaction_id=pending_id,
                amount=pending.amount if amount is None else amount,
                date=date or pending.date,
            )
            self._add(item, posted)
            return posted.transaction_id

    def modify(self, item_id: str, transaction_id: str, **fields: Any) -> None:
        """Change fields of a transaction (e.g. `name=`, `amount=`); it shows in `modified`."""
        with self.lock:
            item = self._live_item(item_id)
            current = item.transactions[transaction_id]
            changed = dataclasses.replace(current, **fields)
            if changed.transaction_id != transaction_id or changed.account_id != current.account_id:
                raise ValueError("a modification keeps the transaction and account ids")
            item.transactions[transaction_id] = changed
            self._log(item, "modified", changed)

    def remove(self, item_id: str, transaction_id: str) -> None:
        """Delete a transaction; it shows in `removed` as `{transaction_id, account_id}`."""
        with self.lock:
            item = self._live_item(item_id)
            transaction = item.transactions.pop(transaction_id)
            self._log(item, "removed", transaction)

    def transactions(self, item_id: str) -> list[Transaction]:
        """The Item's current transactions, in the order they were added."""
        with self.lock:
            return [dataclasses.replace(t) for t in self._live_item(item_id).transactions.values()]

    def generate(self, item_id: str, n: int, *, days: int = 730) -> list[str]:
        """Append `n` deterministic posted transactions spread over the last `days` days across the Item's
        depository and credit accounts (a large history for paging and benchmarks). Returns the ids."""
        with self.lock:
            item = self._live_item(item_id)
            accounts = [
                a.account_id for a in item.accounts.values() if a.spec.type in ("depository", "credit")
            ]
            if not accounts:
                raise ValueError("the Item has no depository or credit account")
            batch = self._next()
            now = self.clock()
            dates = [iso_date(now, days_back=d) for d in range(days)]
            merchants = (
                "Grocer",
                "Coffee Shop",
                "Fuel Station",
                "Bookshop",
                "Pharmacy",
                "Restaurant",
                "Payroll",
            )
            prefix = plaid_id("gen", item_id, batch)[:29]
            ids = []
            for number in range(n):
                merchant = merchants[number % len(merchants)]
                payroll = merchant == "Payroll"
                cents = -(150_000 + number % 997) if payroll else 100 + (number * 7919) % 20_000
                transaction = Transaction(
                    prefix + _base62(number, 8),
                    accounts[number % len(accounts)],
                    cents / 100,
                    dates[(n - 1 - number) * days // max(n, 1)],
                    f"{merchant.upper()} #{number}",
                    False,
                    None if payroll else merchant,
                    None,
                    None,
                    "online" if number % 2 else "in store",
                )
                item.transactions[transaction.transaction_id] = transaction
                item.log.append(Change("added", transaction.transaction_id, transaction.account_id))
                ids.append(transaction.transaction_id)
            item.generation += 1
            return ids

    def mutate_during_pagination(self, item_id: str) -> None:
        """The Item's data changes under a sync loop in progress: its next continuation answers
        TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION; a restart from the loop's first cursor works."""
        with self.lock:
            self._live_item(item_id).generation += 1

    # -- faults ---------------------------------------------------------------------------------------

    def inject(self, endpoint: str, error_code: str, *, times: int = 1) -> None:
        """The next `times` requests to `endpoint` (e.g. "/transactions/sync", or "*" for any) answer
        `error_code` (INSTITUTION_DOWN, INSTITUTION_NOT_RESPONDING, RATE_LIMIT_EXCEEDED or any `*_LIMIT`,
        INTERNAL_SERVER_ERROR, PRODUCT_NOT_READY, ...) with its status (plaid-upstream.md §10)."""
        PlaidFailure(error_code)  # refuse unknown codes early
        if endpoint != "*" and endpoint not in ENDPOINTS:
            raise ValueError(f"the fake Plaid does not serve {endpoint!r}; it serves {ENDPOINTS}")
        with self.lock:
            self._faults.append(Fault(endpoint, error_code, times))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def take_fault(self, endpoint: str) -> str | None:
        """The error code of the first injected fault for `endpoint`, used up by one."""
        with self.lock:
            for fault in self._faults:
                if fault.endpoint in (endpoint, "*") and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault.error_code
            return None

    # -- webhooks -------------------------------------------------------------------------------------

    @property
    def current_kid(self) -> str:
        with self.lock:
            return self._keys[-1].kid

    def rotate_key(self) -> str:
        """A new signing key takes over; the old one stays retrievable with `expired_at` set. Returns the
        new `kid`."""
        with self.lock:
            now = int(self.clock())
            self._keys[-1].expired_at = now
            self._keys.append(SigningKey.generate(now))
            return self._keys[-1].kid

    def jwk(self, key_id: str) -> JsonObject:
        """The public JWK of `key_id`, or INVALID_WEBHOOK_VERIFICATION_KEY_ID (code inferred)."""
        with self.lock:
            for key in self._keys:
                if key.kid == key_id:
                    return key.jwk()
        raise PlaidFailure("INVALID_WEBHOOK_VERIFICATION_KEY_ID")

    def webhook_payload(
        self, item_id: str, webhook_type: str, webhook_code: str, **fields: Any
    ) -> JsonObject:
        """The body Plaid sends for (type, code) about this Item, with `fields` added or overriding."""
        with self.lock:
            item = self._live_item(item_id)
            payload: JsonObject = {
                "webhook_type": webhook_type,
                "webhook_code": webhook_code,
                "item_id": item_id,
            }
            payload.update(self._default_fields(item, webhook_type, webhook_code))
            payload["environment"] = self.environment
            payload.update(fields)
            return payload

    def _default_fields(self, item: Item, webhook_type: str, webhook_code: str) -> JsonObject:
        now = self.clock()
        status = item.update_status
        defaults: dict[tuple[str, str], JsonObject] = {
            ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): {
                "initial_update_complete": status
                in ("INITIAL_UPDATE_COMPLETE", "HISTORICAL_UPDATE_COMPLETE"),
                "historical_update_complete": status == "HISTORICAL_UPDATE_COMPLETE",
            },
            ("TRANSACTIONS", "DEFAULT_UPDATE"): {"new_transactions": 0},
            ("TRANSACTIONS", "INITIAL_UPDATE"): {"new_transactions": 0},
            ("TRANSACTIONS", "HISTORICAL_UPDATE"): {"new_transactions": 0},
            ("TRANSACTIONS", "TRANSACTIONS_REMOVED"): {"removed_transactions": []},
            ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): {"account_ids": list(item.accounts)},
            ("ITEM", "ERROR"): {
                "error": PlaidFailure(item.error_code or "ITEM_LOGIN_REQUIRED").webhook_error()
            },
            ("ITEM", "USER_PERMISSION_REVOKED"): {
                "error": PlaidFailure("USER_PERMISSION_REVOKED").webhook_error()
            },
            ("ITEM", "USER_ACCOUNT_REVOKED"): {"account_id": next(iter(item.accounts), "")},
            ("ITEM", "PENDING_DISCONNECT"): {
                "reason": "INSTITUTION_TOKEN_EXPIRATION",
                "disconnect_time": iso_datetime(now + 7 * 86_400),
            },
            ("ITEM", "PENDING_EXPIRATION"): {"consent_expiration_time": iso_datetime(now + 7 * 86_400)},
            ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): {"error": None},
            ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED"): {"new_webhook_url": item.webhook or "", "error": None},
            ("HOLDINGS", "DEFAULT_UPDATE"): {"new_holdings": 0, "updated_holdings": 0},
            ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): {
                "new_investments_transactions": 0,
                "cancelled_investments_transactions": 0,
            },
        }
        return dict(defaults.get((webhook_type, webhook_code), {}))

    def fire_webhook(
        self, item_id: str, webhook_type: str, webhook_code: str, *, url: str | None = None, **fields: Any
    ) -> Delivery:
        """POST a signed webhook about the Item to its webhook URL (or `url`) now, wait for the answer,
        record and return the delivery. Only http://127.0.0.1 URLs are called."""
        from tests.fakes.plaid.validation import check_webhook  # the OpenAPI file loads on first use

        with self.lock:
            item = self._live_item(item_id)
            target = url or item.webhook
            if target is None:
                raise ValueError(f"Item {item_id!r} has no webhook URL")
            refuse_non_loopback(target)
            payload = self.webhook_payload(item_id, webhook_type, webhook_code, **fields)
            key = self._keys[-1]
            tampering = dataclasses.replace(self.webhook_tampering)
            now = self.clock()
        check_webhook(payload)
        delivery = deliver(target, payload, key, now, tampering)
        with self.lock:
            self._deliveries.append(delivery)
            item.last_webhook = (now, webhook_code)
        return delivery

    def fire_sync_updates(self, item_id: str) -> Delivery | None:
        """TRANSACTIONS / SYNC_UPDATES_AVAILABLE as Plaid sends it: only once `/transactions/sync` was
        called on the Item, and only if it has a webhook URL (plaid-upstream.md §8). None when not sent."""
        with self.lock:
            item = self._live_item(item_id)
            if not item.synced_once or item.webhook is None:
                return None
        return self.fire_webhook(item_id, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")

    # -- the fake Link's OAuth redirects --------------------------------------------------------------

    def start_oauth(self, link_token: str, institution_id: str) -> str:
        """Link chose an OAuth bank: the URL the browser goes to after the bank,
        `redirect_uri?oauth_state_id=<id>`."""
        with self.lock:
            token = self.link_token(link_token)
            if not token.redirect_uri:
                raise PlaidFailure(
                    "INVALID_FIELD", "an OAuth institution needs a link token with redirect_uri"
                )
            state_id = str(uuid.uuid4())
            self._oauth_states[state_id] = OAuthState(state_id, link_token, institution_id)
            return f"{token.redirect_uri}?oauth_state_id={state_id}"

    def resume_oauth(self, link_token: str, received_redirect_uri: str) -> tuple[str, str]:
        """The second Link init after the bank: (public_token, institution_id), or OAUTH_ERROR
        INCORRECT_LINK_TOKEN / OAUTH_STATE_ID_ALREADY_PROCESSED / INCORRECT_OAUTH_NONCE."""
        with self.lock:
            self.link_token(link_token)
            ids = parse_qs(urlsplit(received_redirect_uri).query).get("oauth_state_id", [])
            oauth = self._oauth_states.get(ids[0]) if ids else None
            if oauth is None:
                raise PlaidFailure("INCORRECT_OAUTH_NONCE")
            if oauth.link_token != link_token:
                raise PlaidFailure("INCORRECT_LINK_TOKEN")
            if oauth.processed:
                raise PlaidFailure("OAUTH_STATE_ID_ALREADY_PROCESSED")
            oauth.processed = True
            return self.complete_link(link_token, institution_id=oauth.institution_id), oauth.institution_id

    def item_of_public_token(self, public_token: str) -> Item:
        with self.lock:
            return self._items[self._public_tokens[public_token].item_id]


BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits))


def _holding(
    account_id: str, security_id: str, *, price: float, quantity: float, cost_basis: float
) -> JsonObject:
    return {
        "account_id": account_id,
        "security_id": security_id,
        "institution_price": price,
        "institution_price_as_of": None,
        "institution_value": round(price * quantity, 2),
        "cost_basis": cost_basis,
        "quantity": quantity,
        "iso_currency_code": "USD",
        "unofficial_currency_code": None,
    }


def _investment_transaction(
    transaction_id: str, account_id: str, security_id: str, date: str, type: str, subtype: str, name: str, *,
    quantity: float, price: float, amount: float | None = None,
) -> JsonObject:  # fmt: skip
    return {
        "investment_transaction_id": transaction_id,
        "account_id": account_id,
        "security_id": security_id,
        "date": date,
        "name": name,
        "quantity": quantity,
        "amount": round(quantity * price, 2) if amount is None else amount,
        "price": price,
        "fees": 0.0,
        "type": type,
        "subtype": subtype,
        "iso_currency_code": "USD",
        "unofficial_currency_code": None,
    }
