"""What one `GET /accounts` answers, before it takes the v1 or v2 shape (spec §5, §6, §10.5-§10.7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tests.fakes.simplefin.clock import SECONDS_PER_DAY
from tests.fakes.simplefin.models import Account, Connection, Transaction
from tests.fakes.simplefin.query import AccountsQuery
from tests.fakes.simplefin.settings import NO_START_DATE_MESSAGE, RANGE_CAPPED_WARNING, BridgeSettings


@dataclass(frozen=True)
class Problem:
    """One error or warning; v2 renders it in `errlist`, v1 as a string in `errors` (spec §6.1, §6.2)."""

    code: str
    text: str
    conn_id: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class AccountEntry:
    account: Account
    transactions: list[Transaction] | None
    """None drops the key: `balances-only=1`, or a failed account that is still listed."""


@dataclass(frozen=True)
class AccountSet:
    connections: list[Connection]
    accounts: list[AccountEntry]
    problems: list[Problem]
    api_messages: list[str]
    """Top-level `x-api-message`, a Bridge extra (spec §5, §6.1)."""


@dataclass(frozen=True)
class Window:
    """Half-open `[start, end)` in epoch seconds; `end` None means no upper bound (spec §5)."""

    start: int
    end: int | None
    capped: bool
    defaulted: bool

    def holds(self, epoch: int) -> bool:
        return epoch >= self.start and (self.end is None or epoch < self.end)


def window_for(query: AccountsQuery, now: int, settings: BridgeSettings) -> Window:
    """No `start-date` → only the recent window; a range over the limit is capped to its last days (§5)."""
    if query.start_date is None:
        return Window(now - settings.recent_window_s, query.end_date, capped=False, defaulted=True)
    limit = settings.max_range_days * SECONDS_PER_DAY
    upper = query.end_date if query.end_date is not None else now
    if upper - query.start_date > limit:
        return Window(upper - limit, query.end_date, capped=True, defaulted=False)
    return Window(query.start_date, query.end_date, capped=False, defaulted=False)


def select_account_set(
    *,
    connections: Sequence[Connection],
    accounts: Sequence[Account],
    query: AccountsQuery,
    version: Literal[1, 2],
    now: int,
    settings: BridgeSettings,
) -> AccountSet:
    """Filter the visible world by the query; `connections` and `accounts` are those the access may see."""
    window = window_for(query, now, settings)
    wanted = [a for a in accounts if not query.account_ids or a.id in query.account_ids]
    wanted_conn_ids = {a.conn_id for a in wanted}
    listed_connections = [c for c in connections if not query.account_ids or c.conn_id in wanted_conn_ids]
    problems = _connection_problems(listed_connections)
    entries: list[AccountEntry] = []
    for account in wanted:
        if account.failure is not None:
            problems.append(_account_problem(account))
            if account.failure == "act.failed":
                if not account.omitted_when_failed:
                    entries.append(AccountEntry(account, None))
                continue
        transactions = None if query.balances_only else _transactions_in(account, window, query)
        entries.append(AccountEntry(account, transactions))
    if window.capped and (version == 2 or settings.v1_warns_capped_range):
        problems.append(Problem("gen.api", RANGE_CAPPED_WARNING))
    messages = [NO_START_DATE_MESSAGE] if window.defaulted else []
    return AccountSet(listed_connections, entries, problems, messages)


def _transactions_in(account: Account, window: Window, query: AccountsQuery) -> list[Transaction]:
    """Posted ones by `posted`; pendings (only if asked) by `transacted_at` when they have one (inferred).
    Ordered by `posted`, so pendings with `posted: 0` come first (spec §6.4)."""
    chosen = [
        t
        for t in account.transactions
        if (window.holds(t.posted) if not t.pending else _pending_shown(t, window, query))
    ]
    return sorted(chosen, key=lambda t: (t.posted, t.sequence))


def _pending_shown(transaction: Transaction, window: Window, query: AccountsQuery) -> bool:
    if not query.include_pending:
        return False
    when = transaction.transacted_at if transaction.transacted_at is not None else transaction.posted
    return when == 0 or window.holds(when)


def _connection_problems(connections: Sequence[Connection]) -> list[Problem]:
    return [
        Problem("con.auth", f"Connection to {c.org_name} may need attention", conn_id=c.conn_id)
        for c in connections
        if c.needs_reauth
    ]


def _account_problem(account: Account) -> Problem:
    if account.failure == "act.missingdata":
        text = f"Incomplete transaction listing for {account.name}. Try again later."
    else:
        text = f"Failed to get account information for {account.name}. Try again later."
    return Problem(account.failure or "act.", text, account_id=account.id)
