"""Runs inside .venv-mx (the official mx-platform-python client, pydantic 1), not the gateway's venv.

    python read_users.py <base_url> <client_id> <client_secret>

Reads every user of the app with the official client: each one's accounts and transactions, printed as
one JSON object `{user_guid: {"accounts": [names], "transactions": [descriptions]}}`. Any client-side
validation error fails the run.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import mx_platform_python as mx
from mx_platform_python.api import AccountsApi, TransactionsApi, UsersApi

ACCEPT = "application/vnd.mx.api.v1+json"


def main(base_url: str, client_id: str, secret: str) -> dict[str, Any]:
    configuration = mx.Configuration(host=f"{base_url}/v1/mx", username=client_id, password=secret)
    api = mx.ApiClient(configuration, "Accept", ACCEPT)
    seen: dict[str, Any] = {}
    for user in UsersApi(api).list_users(records_per_page=100).users:
        accounts = AccountsApi(api).list_user_accounts(user_guid=user.guid).accounts
        transactions = TransactionsApi(api).list_transactions(user_guid=user.guid, records_per_page=100)
        seen[user.guid] = {
            "accounts": sorted(str(a.name) for a in accounts),
            "transactions": sorted(str(t.description) for t in transactions.transactions),
        }
    return seen


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
