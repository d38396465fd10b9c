"""The official MX client (mx-platform-python, in its own venv) against a running gateway and worker.

tests/contract/mx_client/flow.py performs the calls inside .venv-mx and reports what it saw; this side
checks it. Every response it reports also passed the client's own (strict, pydantic 1) models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.moneykit import Gateway
from tests.support.mx_venv import mx_python, run_client

FLOW = Path(__file__).parent / "mx_client" / "flow.py"


@pytest.fixture(scope="session")
def mx_interpreter() -> Path:
    return mx_python()


@pytest.fixture(scope="module")
def seen(gateway: Gateway, mx_interpreter: Path) -> dict[str, Any]:
    return run_client(mx_interpreter, FLOW, gateway.base_url, gateway.client_id, gateway.client_secret)


def test_users_are_created_listed_and_read(seen: dict[str, Any]) -> None:
    user = seen["user"]
    assert user["guid"].startswith("USR-")
    assert (user["email"], user["metadata"], user["is_disabled"]) == (
        "ada@example.com",
        '{"plan": "gold"}',
        False,
    )
    assert user["guid"] in seen["listed_users"]
    assert seen["institution"]["code"] == "mxbank"
    assert seen["institution"]["name"] == "MX Bank"
    assert seen["credential_fields"] == ["USERNAME", "PASSWORD"]


def test_a_member_with_mfa_is_challenged_then_resumed(seen: dict[str, Any]) -> None:
    created = seen["created_member"]
    assert created["guid"].startswith("MBR-")
    assert created["connection_status"] == "CHALLENGED"
    assert created["institution_code"] == "mxbank"
    assert created["most_recent_job_guid"] is None
    assert created["most_recent_job_detail_text"] is None
    [challenge] = seen["challenges"]
    assert challenge["type"] == "TEXT"
    assert challenge["guid"].startswith("CRD-")
    assert seen["challenged_status"]["challenges"][0]["guid"] == challenge["guid"]
    assert seen["challenged_status"]["connection_status"] == "CHALLENGED"
    assert seen["resumed_member"]["connection_status"] == "CONNECTED"
    assert seen["aggregated_member"]["connection_status"] == "CONNECTED"
    final = seen["final_status"]
    assert final["has_processed_accounts"]
    assert final["has_processed_transactions"]
    assert final["is_being_aggregated"] is False
    assert seen["member"]["aggregated_at"] is not None
    assert seen["members"] == [created["guid"]]


def test_members_name_their_institution_by_a_stable_guid(seen: dict[str, Any]) -> None:
    guids = {seen[key]["institution_guid"] for key in ("created_member", "resumed_member", "member")}
    guids |= {seen["updated"][key]["institution_guid"] for key in ("denied", "updated")}
    [guid] = guids
    assert guid.startswith("INS-")
    assert {a["institution_guid"] for a in seen["accounts"]} == {guid}


def test_each_job_starts_a_refresh_and_answers_the_member(seen: dict[str, Any]) -> None:
    jobs = seen["jobs"]
    assert set(jobs) == {"verify", "identify", "check_balance", "extend_history"}
    for job in jobs.values():
        assert job == {"guid": seen["member"]["guid"], "is_being_aggregated": True,
                       "connection_status": "CONNECTED"}  # fmt: skip
    # Reads after the jobs (numbers, owners, transactions, holdings) are checked by the tests below.


def test_a_denied_member_connects_after_its_credentials_are_updated(seen: dict[str, Any]) -> None:
    updated = seen["updated"]
    assert updated["denied"]["connection_status"] == "DENIED"
    assert updated["updated"]["guid"] == updated["denied"]["guid"]
    assert updated["updated"]["connection_status"] == "CONNECTED"
    assert updated["updated"]["is_being_aggregated"] is True
    assert updated["accounts"] == len(seen["accounts"])


def test_one_transaction_and_one_holding_by_guid(seen: dict[str, Any]) -> None:
    first = seen["transaction_pages"][0]["transactions"][0]
    assert seen["single_reads"]["transactions"] == [first]
    holding = seen["single_reads"]["holding"]
    assert holding == seen["holdings"][0]


def test_favorite_institutions_are_the_featured_ones(seen: dict[str, Any]) -> None:
    assert {"credentials_bank", "instant_bank"} <= set(seen["favorites"])


def test_accounts_by_user_and_member(seen: dict[str, Any]) -> None:
    accounts = seen["accounts"]
    member_guid = seen["member"]["guid"]
    assert {a["type"] for a in accounts} == {"CHECKING", "SAVINGS", "CREDIT_CARD", "INVESTMENT"}
    assert all(a["guid"].startswith("ACT-") and a["member_guid"] == member_guid for a in accounts)
    assert all(isinstance(a["balance"], float) for a in accounts)
    assert sorted(seen["member_accounts"]) == sorted(a["guid"] for a in accounts)
    assert seen["account"] == accounts[0]["guid"]


def test_transactions_across_pages(seen: dict[str, Any]) -> None:
    first, second = seen["transaction_pages"]
    total = first["pagination"]["total_entries"]
    assert total > 10
    assert first["pagination"] == {"current_page": 1, "per_page": 10, "total_entries": total,
                                   "total_pages": (total + 9) // 10}  # fmt: skip
    assert second["pagination"]["current_page"] == 2
    assert len(first["transactions"]) == 10
    assert len(second["transactions"]) == min(10, total - 10)
    guids = [t["guid"] for page in (first, second) for t in page["transactions"]]
    assert len(set(guids)) == len(guids)
    for transaction in first["transactions"] + second["transactions"]:
        assert transaction["guid"].startswith("TRN-")
        assert transaction["amount"] > 0
        assert transaction["type"] in ("CREDIT", "DEBIT")
        assert transaction["status"] in ("POSTED", "PENDING")
    dates = [t["date"] for t in first["transactions"]]
    assert dates == sorted(dates, reverse=True)
    assert seen["member_transactions_total"] == total
    account = seen["account"]
    assert seen["account_transactions"]
    assert set(seen["account_transactions"]) == {account}


def test_holdings_numbers_and_owners(seen: dict[str, Any]) -> None:
    holdings = seen["holdings"]
    brokerage = next(a["guid"] for a in seen["accounts"] if a["type"] == "INVESTMENT")
    assert holdings
    assert all(h["account_guid"] == brokerage for h in holdings)
    assert all(isinstance(h["quantity"], str) and h["guid"].startswith("HOL-") for h in holdings)
    assert {h["symbol"] for h in holdings} >= {"VTI", "AAPL"}
    numbers = seen["account_numbers"]
    assert len(numbers) == 2
    assert all(len(n["routing_number"]) == 9 and n["account_number"] for n in numbers)
    owners = seen["account_owners"]
    assert owners
    assert all(o["owner_name"] and o["guid"].startswith("ACO-") for o in owners)


def test_user_level_basic_and_deletes(seen: dict[str, Any]) -> None:
    assert seen["user_level_user"] == seen["user"]["guid"]
    assert seen["user_level_other"] == 403
    assert seen["deleted_member"] is None
    assert seen["member_after_delete"] == 404
    assert seen["deleted_user"] is None
    assert seen["user_after_delete"] == 404
