"""The Account Set on the wire, v1 (spec §6.1, §6.4 `org`) or v2 (`conn_id`, `connections`, `errlist`)."""

from __future__ import annotations

from typing import Literal

from tests.fakes.simplefin.models import Account, Connection, JsonObject, Transaction
from tests.fakes.simplefin.selection import AccountEntry, AccountSet, Problem
from tests.fakes.simplefin.settings import BridgeSettings


def render_account_set(
    account_set: AccountSet, *, version: Literal[1, 2], root_url: str, settings: BridgeSettings
) -> JsonObject:
    if version == 1:
        return _render_v1(account_set, root_url)
    return _render_v2(account_set, root_url, settings)


def _render_v1(account_set: AccountSet, root_url: str) -> JsonObject:
    organizations = {c.conn_id: _organization(c, root_url) for c in account_set.connections}
    body: JsonObject = {
        "errors": [p.text for p in account_set.problems],
        "accounts": [
            {"org": organizations[entry.account.conn_id], **_account(entry)} for entry in account_set.accounts
        ],
    }
    return _with_api_messages(body, account_set)


def _render_v2(account_set: AccountSet, root_url: str, settings: BridgeSettings) -> JsonObject:
    body: JsonObject = {
        "errlist": [_error(p, settings.error_message_key) for p in account_set.problems],
        "connections": [_connection(c, root_url) for c in account_set.connections],
        "accounts": [{**_account(entry), "conn_id": entry.account.conn_id} for entry in account_set.accounts],
    }
    if settings.v2_also_errors:
        body["errors"] = [p.text for p in account_set.problems]
    return _with_api_messages(body, account_set)


def _with_api_messages(body: JsonObject, account_set: AccountSet) -> JsonObject:
    if account_set.api_messages:
        body["x-api-message"] = list(account_set.api_messages)
    return body


def _organization(connection: Connection, root_url: str) -> JsonObject:
    """v1 Organization (spec §6.4): `sfin-url` required, `domain`/`name`/`url` when known, `id`."""
    org: JsonObject = {
        "domain": connection.org_domain,
        "sfin-url": connection.sfin_url or root_url,
        "name": connection.org_name,
        "url": connection.org_url,
        "id": connection.org_id,
    }
    return _without_none(org)


def _connection(connection: Connection, root_url: str) -> JsonObject:
    return _without_none(
        {
            "conn_id": connection.conn_id,
            "name": connection.name,
            "org_id": connection.org_id,
            "org_url": connection.org_url,
            "sfin_url": connection.sfin_url or root_url,
            "org_name": connection.org_name,
        }
    )


def _error(problem: Problem, message_key: str) -> JsonObject:
    return _without_none(
        {
            "code": problem.code,
            message_key: problem.text,
            "conn_id": problem.conn_id,
            "account_id": problem.account_id,
        }
    )


def _account(entry: AccountEntry) -> JsonObject:
    account: Account = entry.account
    body: JsonObject = {
        "id": account.id,
        "name": account.name,
        "currency": account.currency,
        "balance": account.balance,
        "available-balance": account.available_balance,
        "balance-date": account.balance_date,
    }
    if entry.transactions is not None:
        body["transactions"] = [_transaction(t) for t in entry.transactions]
    body["extra"] = dict(account.extra) if account.extra is not None else None
    body["holdings"] = [dict(h) for h in account.holdings] if account.holdings is not None else None
    return _without_none(body)


def _transaction(transaction: Transaction) -> JsonObject:
    """`pending` is sent only when true; absent means posted (spec §6.5)."""
    return _without_none(
        {
            "id": transaction.id,
            "posted": transaction.posted,
            "amount": transaction.amount,
            "description": transaction.description,
            "transacted_at": transaction.transacted_at,
            "pending": True if transaction.pending else None,
            "payee": transaction.payee,
            "memo": transaction.memo,
            "extra": dict(transaction.extra) if transaction.extra is not None else None,
        }
    )


def _without_none(body: JsonObject) -> JsonObject:
    return {key: value for key, value in body.items() if value is not None}
