"""Runs inside .venv-mx (the official mx-platform-python client, pydantic 1), not the gateway's venv.

    python flow.py <base_url> <client_id> <client_secret>

Drives the MX flow against a running gateway and prints one JSON object of what it saw; the pytest side
(tests/contract/test_mx_sdk.py) asserts on it. Any client-side validation error fails the run.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import mx_platform_python as mx
from mx_platform_python.api import (
    AccountsApi,
    InstitutionsApi,
    InvestmentHoldingsApi,
    MembersApi,
    TransactionsApi,
    UsersApi,
)
from mx_platform_python.models import (
    CredentialRequest,
    MemberCreateRequest,
    MemberCreateRequestBody,
    MemberResumeRequest,
    MemberResumeRequestBody,
    MemberUpdateRequest,
    MemberUpdateRequestBody,
    UserCreateRequest,
    UserCreateRequestBody,
)

ACCEPT = "application/vnd.mx.api.v1+json"


def client(base_url: str, username: str, password: str) -> mx.ApiClient:
    configuration = mx.Configuration(host=f"{base_url}/v1/mx", username=username, password=password)
    return mx.ApiClient(configuration, "Accept", ACCEPT)


def wait_connected(members: MembersApi, member_guid: str, user_guid: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = members.read_member_status(member_guid=member_guid, user_guid=user_guid).member
        if status.connection_status == "CONNECTED" and not status.is_being_aggregated:
            return status
        time.sleep(0.3)
    raise SystemExit(f"member {member_guid} did not finish aggregating: {status}")


def main(base_url: str, client_id: str, secret: str) -> dict[str, Any]:
    api = client(base_url, client_id, secret)
    users, members = UsersApi(api), MembersApi(api)
    seen: dict[str, Any] = {}

    created = users.create_user(UserCreateRequestBody(user=UserCreateRequest(
        id=f"mx-sdk-{time.time_ns()}", email="ada@example.com", metadata='{"plan": "gold"}')))  # fmt: skip
    user_guid = created.user.guid
    seen["user"] = created.user.to_dict()
    seen["listed_users"] = [u.guid for u in users.list_users(records_per_page=100).users]

    institution = InstitutionsApi(api).read_institution("mxbank").institution
    seen["institution"] = institution.to_dict()
    fields = InstitutionsApi(api).list_institution_credentials("mxbank").credentials
    seen["credential_fields"] = [f.field_name for f in fields]
    values = {"USERNAME": "mxuser", "PASSWORD": "challenge"}
    credentials = [CredentialRequest(guid=f.guid, value=values[f.field_name]) for f in fields]
    member = members.create_member(user_guid, MemberCreateRequestBody(member=MemberCreateRequest(
        credentials=credentials, institution_code="mxbank"))).member  # fmt: skip
    member_guid = member.guid
    seen["created_member"] = member.to_dict()

    challenges = members.list_member_challenges(member_guid=member_guid, user_guid=user_guid).challenges
    seen["challenges"] = [c.to_dict() for c in challenges]
    status = members.read_member_status(member_guid=member_guid, user_guid=user_guid).member
    seen["challenged_status"] = status.to_dict()
    answer = CredentialRequest(guid=challenges[0].guid, value="correct")
    body = MemberResumeRequestBody(member=MemberResumeRequest(challenges=[answer]))
    resumed = members.resume_aggregation(member_guid=member_guid, user_guid=user_guid,
                                         member_resume_request_body=body)  # fmt: skip
    seen["resumed_member"] = resumed.member.to_dict()
    wait_connected(members, member_guid, user_guid)

    aggregated = members.aggregate_member(member_guid=member_guid, user_guid=user_guid)
    seen["aggregated_member"] = aggregated.member.to_dict()
    seen["final_status"] = wait_connected(members, member_guid, user_guid).to_dict()
    seen["member"] = members.read_member(member_guid=member_guid, user_guid=user_guid).member.to_dict()
    seen["members"] = [m.guid for m in members.list_members(user_guid=user_guid).members]
    seen["jobs"] = run_jobs(api, member_guid, user_guid)

    accounts_api = AccountsApi(api)
    accounts = accounts_api.list_user_accounts(user_guid=user_guid)
    seen["accounts"] = [a.to_dict() for a in accounts.accounts]
    seen["member_accounts"] = [a.guid for a in accounts_api.list_member_accounts(
        user_guid=user_guid, member_guid=member_guid).accounts]  # fmt: skip
    first = accounts.accounts[0].guid
    seen["account"] = accounts_api.read_account(account_guid=first, user_guid=user_guid).account.guid

    transactions = TransactionsApi(api)
    pages = []
    for page in (1, 2):
        listed = transactions.list_transactions(user_guid=user_guid, page=page, records_per_page=10)
        pages.append({"pagination": listed.pagination.to_dict(),
                      "transactions": [t.to_dict() for t in listed.transactions]})  # fmt: skip
    seen["transaction_pages"] = pages
    by_member = transactions.list_transactions_by_member(member_guid=member_guid, user_guid=user_guid)
    seen["member_transactions_total"] = by_member.pagination.total_entries
    by_account = transactions.list_transactions_by_account(account_guid=first, user_guid=user_guid)
    seen["account_transactions"] = [t.account_guid for t in by_account.transactions]

    holdings = InvestmentHoldingsApi(api).list_holdings(user_guid=user_guid).investment_holdings
    seen["holdings"] = [h.to_dict() for h in holdings]
    numbers = accounts_api.list_account_numbers_by_member(member_guid=member_guid, user_guid=user_guid)
    seen["account_numbers"] = [n.to_dict() for n in numbers.account_numbers]
    owners = accounts_api.list_account_owners_by_member(member_guid=member_guid, user_guid=user_guid)
    seen["account_owners"] = [o.to_dict() for o in owners.account_owners]
    seen["single_reads"] = single_reads(api, user_guid, pages[0]["transactions"][0]["guid"], holdings[0].guid)
    seen["favorites"] = [i.code for i in InstitutionsApi(api).list_favorite_institutions().institutions]
    seen["updated"] = update_credentials(api, user_guid, credentials)

    limited = client(base_url, client_id, f"{secret}:{user_guid}")
    seen["user_level_user"] = UsersApi(limited).read_user(user_guid).user.guid
    try:
        UsersApi(limited).read_user(created_other(users))
        seen["user_level_other"] = "allowed"
    except mx.ApiException as exc:
        seen["user_level_other"] = exc.status

    seen["deleted_member"] = members.delete_member(member_guid=member_guid, user_guid=user_guid)
    try:
        members.read_member(member_guid=member_guid, user_guid=user_guid)
        seen["member_after_delete"] = "found"
    except mx.ApiException as exc:
        seen["member_after_delete"] = exc.status
    seen["deleted_user"] = users.delete_user(accept=ACCEPT, user_guid=user_guid)
    try:
        users.read_user(user_guid)
        seen["user_after_delete"] = "found"
    except mx.ApiException as exc:
        seen["user_after_delete"] = exc.status
    return seen


def run_jobs(api: mx.ApiClient, member_guid: str, user_guid: str) -> dict[str, Any]:
    """verify, identify, check_balance and extend_history one after the other, each waited for."""
    members = MembersApi(api)
    starts: dict[str, Callable[[], Any]] = {
        "verify": lambda: members.verify_member(member_guid=member_guid, user_guid=user_guid),
        "identify": lambda: members.identify_member(member_guid=member_guid, user_guid=user_guid),
        "check_balance": lambda: members.check_balances(member_guid=member_guid, user_guid=user_guid),
        "extend_history": lambda: TransactionsApi(api).extend_history(member_guid=member_guid,
                                                                      user_guid=user_guid),
    }  # fmt: skip
    seen: dict[str, Any] = {}
    for name, start in starts.items():
        member = start().member
        seen[name] = {"guid": member.guid, "is_being_aggregated": member.is_being_aggregated,
                      "connection_status": member.connection_status}  # fmt: skip
        wait_connected(members, member_guid, user_guid)
    return seen


def single_reads(
    api: mx.ApiClient, user_guid: str, transaction_guid: str, holding_guid: str
) -> dict[str, Any]:
    read = TransactionsApi(api).read_transaction(user_guid=user_guid, transaction_guid=transaction_guid)
    holding = InvestmentHoldingsApi(api).read_holding(holding_guid=holding_guid, user_guid=user_guid)
    return {"transactions": [t.to_dict() for t in read.transactions],
            "holding": holding.investment_holding.to_dict()}  # fmt: skip


def update_credentials(api: mx.ApiClient, user_guid: str, good: list[CredentialRequest]) -> dict[str, Any]:
    """A member refused for a wrong password, then updated with the right one."""
    members = MembersApi(api)
    wrong = [CredentialRequest(guid=c.guid, value="wrong") for c in good]
    denied = members.create_member(user_guid, MemberCreateRequestBody(member=MemberCreateRequest(
        credentials=wrong, institution_code="mxbank"))).member  # fmt: skip
    values = {"USERNAME": "mxuser", "PASSWORD": "password"}
    fields = InstitutionsApi(api).list_institution_credentials("mxbank").credentials
    right = [CredentialRequest(guid=f.guid, value=values[f.field_name]) for f in fields]
    body = MemberUpdateRequestBody(member=MemberUpdateRequest(credentials=right))
    updated = members.update_member(
        member_guid=denied.guid, user_guid=user_guid, member_update_request_body=body
    )
    wait_connected(members, denied.guid, user_guid)
    accounts = AccountsApi(api).list_member_accounts(user_guid=user_guid, member_guid=denied.guid).accounts
    return {"denied": denied.to_dict(), "updated": updated.member.to_dict(), "accounts": len(accounts)}


def created_other(users: UsersApi) -> str:
    other = users.create_user(UserCreateRequestBody(user=UserCreateRequest(id=f"other-{time.time_ns()}")))
    return str(other.user.guid)


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4]), default=str))
