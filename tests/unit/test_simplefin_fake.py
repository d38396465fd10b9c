"""The fake SimpleFIN Bridge (tests/fakes/simplefin) driven over real HTTP, against the spec it models
(/work/shared/specs/simplefin.md §2-§10)."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fakes.simplefin import (
    FORBIDDEN_CLAIM,
    NO_START_DATE_MESSAGE,
    QUOTA_WARNING,
    RANGE_CAPPED_WARNING,
    SECONDS_PER_DAY,
    Access,
    BridgeSettings,
    BridgeState,
    FakeClock,
    Fault,
    RunningBridge,
    running_bridge,
)
from tests.support.processes import wait_until

NOW = 1_767_268_800  # 2026-01-01 12:00:00 UTC
HOUR = 3_600
DAY = SECONDS_PER_DAY


@dataclass(frozen=True)
class Bridge:
    """A running fake Bridge and one HTTP client (a client per request would cost ~0.1 s of TLS setup)."""

    running: RunningBridge
    http: httpx.Client

    @property
    def state(self) -> BridgeState:
        return self.running.state

    @property
    def root_url(self) -> str:
        return self.running.root_url

    @property
    def port(self) -> int:
        return self.running.port

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(url, **kwargs)

    def accounts(self, access: Access, params: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.get(
            f"{self.root_url}/accounts", params=params, auth=(access.username, access.password), **kwargs
        )

    def accounts_json(self, access: Access, params: Any = None) -> dict[str, Any]:
        response = self.accounts(access, params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def served() -> Iterator[RunningBridge]:
    """One server for the module (starting and stopping one costs ~0.2 s); each test resets its state."""
    with running_bridge(BridgeState(clock=FakeClock(NOW))) as running:
        yield running


@pytest.fixture
def bridge(served: RunningBridge, http: httpx.Client) -> Bridge:
    """A Bridge with one login at My Bank (checking, savings) and one at Other Bank (card)."""
    state = served.state
    state.reset()
    state.clock.set(NOW)
    state.add_connection(
        "CON-1",
        name="My Bank - Jill",
        org_id="ORG-1",
        org_name="My Bank",
        org_domain="mybank.example",
        org_url="https://mybank.example",
    )
    state.add_connection("CON-2", name="Other Bank", org_id="ORG-2", org_name="Other Bank")
    state.add_account("ACT-1", conn_id="CON-1", name="Checking", balance="100.23", available_balance="75.23")
    state.add_account("ACT-2", conn_id="CON-1", name="Savings", balance="5000.00")
    state.add_account("ACT-3", conn_id="CON-2", name="Card", balance="-20.00")
    return Bridge(served, http)


@pytest.fixture
def access(bridge: Bridge) -> Access:
    return bridge.state.issue_access()


def transaction_ids(body: dict[str, Any], account_id: str = "ACT-1") -> list[str]:
    (account,) = [a for a in body["accounts"] if a["id"] == account_id]
    return [t["id"] for t in account["transactions"]]


class TestInfoAndCreate:
    def test_info_answers_the_configured_versions_without_auth(self, bridge: Bridge) -> None:
        assert bridge.get(f"{bridge.root_url}/info").json() == {"versions": ["1.0"]}
        bridge.state.settings.info_versions = ["1", "2"]
        assert bridge.get(f"{bridge.root_url}/info").json() == {"versions": ["1", "2"]}

    def test_create_page_shows_a_token_that_claims(self, bridge: Bridge) -> None:
        page = bridge.get(f"{bridge.root_url}/create")
        match = re.search(r'<pre id="simplefin-token">([A-Za-z0-9+/=]+)</pre>', page.text)
        assert page.status_code == 200
        assert match is not None
        claim_url = base64.b64decode(match.group(1)).decode()
        assert claim_url.startswith(f"{bridge.root_url}/claim/")
        assert bridge.post(claim_url).status_code == 200


class TestClaim:
    def test_token_is_base64_of_the_claim_url_and_claims_once(self, bridge: Bridge) -> None:
        token = bridge.state.mint_setup_token("abc123")
        assert base64.b64decode(token.token).decode() == f"{bridge.root_url}/claim/abc123" == token.claim_url

        first = bridge.post(token.claim_url, headers={"Content-Length": "0"})
        again = bridge.post(token.claim_url)

        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/plain")
        assert re.fullmatch(rf"http://\w+:\w+@127\.0\.0\.1:{bridge.port}/simplefin", first.text)
        assert (again.status_code, again.text) == (403, FORBIDDEN_CLAIM)

    def test_unknown_code_is_forbidden(self, bridge: Bridge) -> None:
        response = bridge.post(f"{bridge.root_url}/claim/never-minted")
        assert (response.status_code, response.text) == (403, FORBIDDEN_CLAIM)

    def test_claimed_access_url_reads_accounts(self, bridge: Bridge) -> None:
        access_url = bridge.post(bridge.state.mint_setup_token().claim_url).text
        response = bridge.get(f"{access_url}/accounts", params={"start-date": NOW - DAY})
        assert response.status_code == 200
        assert {a["id"] for a in response.json()["accounts"]} == {"ACT-1", "ACT-2", "ACT-3"}

    def test_answer_may_end_with_a_newline(self, bridge: Bridge) -> None:
        bridge.state.settings.claim_trailing_newline = True
        answer = bridge.post(bridge.state.mint_setup_token().claim_url).text
        assert answer.endswith("/simplefin\n")
        assert answer.count("\n") == 1

    def test_demo_code_is_reusable_when_configured(self, bridge: Bridge) -> None:
        demo_url = f"{bridge.root_url}/claim/demo"
        assert bridge.post(demo_url).status_code == 403
        bridge.state.settings.demo_code = "demo"
        answers = [bridge.post(demo_url) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].text == answers[1].text == f"http://demo:demo@127.0.0.1:{bridge.port}/simplefin"

    def test_token_scoped_to_a_connection_sees_only_it(self, bridge: Bridge) -> None:
        access_url = bridge.post(bridge.state.mint_setup_token(conn_ids=["CON-2"]).claim_url).text
        body = bridge.get(f"{access_url}/accounts", params={"version": 2, "start-date": NOW - DAY}).json()
        assert [a["id"] for a in body["accounts"]] == ["ACT-3"]
        assert [c["conn_id"] for c in body["connections"]] == ["CON-2"]


class TestAuthentication:
    def test_missing_or_wrong_credentials_are_a_plain_403(self, bridge: Bridge, access: Access) -> None:
        anonymous = bridge.get(f"{bridge.root_url}/accounts")
        wrong = bridge.get(f"{bridge.root_url}/accounts", auth=(access.username, "not-the-password"))
        for response in (anonymous, wrong):
            assert response.status_code == 403
            assert response.headers["content-type"].startswith("text/plain")
        assert bridge.accounts(access).status_code == 200

    def test_revoked_access_is_refused(self, bridge: Bridge, access: Access) -> None:
        bridge.state.revoke_access(access.username)
        assert bridge.accounts(access).status_code == 403

    def test_payment_required_is_402_until_paid(self, bridge: Bridge, access: Access) -> None:
        bridge.state.set_payment_required()
        assert bridge.accounts(access).status_code == 402
        bridge.state.set_payment_required(False)
        assert bridge.accounts(access).status_code == 200


class TestQuery:
    def test_start_is_inclusive_and_end_exclusive(self, bridge: Bridge, access: Access) -> None:
        start, end = NOW - 10 * DAY, NOW - 5 * DAY
        for name, posted in [("before", start - 1), ("at-start", start), ("last", end - 1), ("at-end", end)]:
            bridge.state.add_transaction("ACT-1", name, posted=posted, amount="-1.00", description=name)

        body = bridge.accounts_json(access, {"start-date": start, "end-date": end})

        assert transaction_ids(body) == ["at-start", "last"]

    def test_pending_is_presence_checked(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_transaction(
            "ACT-1", "TRN-P", posted=NOW - 2 * HOUR, amount="-3", description="Posted"
        )
        bridge.state.add_pending(
            "ACT-1", "TRN-Q", transacted_at=NOW - HOUR, amount="-4", description="Pending"
        )
        window = {"start-date": NOW - DAY}

        assert transaction_ids(bridge.accounts_json(access, window)) == ["TRN-P"]
        for flag in ("1", "0"):
            body = bridge.accounts_json(access, {**window, "pending": flag})
            assert transaction_ids(body) == ["TRN-Q", "TRN-P"]  # ordered by posted: pending's is 0
            pending = body["accounts"][0]["transactions"][0]
            assert pending["posted"] == 0
            assert pending["pending"] is True
            assert pending["transacted_at"] == NOW - HOUR
            assert "pending" not in body["accounts"][0]["transactions"][1]

    def test_account_filter_repeats(self, bridge: Bridge, access: Access) -> None:
        params = [("account", "ACT-1"), ("account", "ACT-3"), ("version", "2"), ("start-date", NOW - DAY)]
        body = bridge.accounts_json(access, params)
        assert [a["id"] for a in body["accounts"]] == ["ACT-1", "ACT-3"]
        assert [c["conn_id"] for c in body["connections"]] == ["CON-1", "CON-2"]

        only_savings = bridge.accounts_json(
            access, {"account": "ACT-2", "version": 2, "start-date": NOW - DAY}
        )
        assert [a["id"] for a in only_savings["accounts"]] == ["ACT-2"]
        assert [c["conn_id"] for c in only_savings["connections"]] == ["CON-1"]

    def test_balances_only_drops_transactions(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_transaction("ACT-1", "TRN-1", posted=NOW - HOUR, amount="-3", description="x")
        body = bridge.accounts_json(access, {"balances-only": 1, "start-date": NOW - DAY})
        assert all("transactions" not in a for a in body["accounts"])
        assert body["accounts"][0]["balance"] == "100.23"
        assert transaction_ids(bridge.accounts_json(access, {"start-date": NOW - DAY})) == ["TRN-1"]

    def test_range_over_90_days_is_capped_with_a_warning(self, bridge: Bridge, access: Access) -> None:
        end = NOW - DAY
        bridge.state.add_transaction("ACT-1", "old", posted=end - 90 * DAY - 1, amount="-1", description="o")
        bridge.state.add_transaction("ACT-1", "kept", posted=end - 90 * DAY, amount="-1", description="k")
        params = {"start-date": end - 120 * DAY, "end-date": end}

        v2 = bridge.accounts_json(access, {**params, "version": 2})
        v1 = bridge.accounts_json(access, {**params, "version": 1})

        assert transaction_ids(v2) == transaction_ids(v1) == ["kept"]
        assert v2["errlist"] == [{"code": "gen.api", "msg": RANGE_CAPPED_WARNING}]
        assert v1["errors"] == [RANGE_CAPPED_WARNING]
        within = bridge.accounts_json(access, {"start-date": end - 90 * DAY, "end-date": end, "version": 2})
        assert within["errlist"] == []

    def test_no_start_date_gives_the_last_day_and_a_message(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_transaction("ACT-1", "older", posted=NOW - DAY - 1, amount="-1", description="o")
        bridge.state.add_transaction("ACT-1", "recent", posted=NOW - DAY, amount="-1", description="r")

        body = bridge.accounts_json(access)

        assert transaction_ids(body) == ["recent"]
        assert body["x-api-message"] == [NO_START_DATE_MESSAGE]
        assert "x-api-message" not in bridge.accounts_json(access, {"start-date": NOW - 2 * DAY})

    def test_a_non_numeric_date_is_a_400(self, bridge: Bridge, access: Access) -> None:
        assert bridge.accounts(access, {"start-date": "yesterday"}).status_code == 400


class TestShapes:
    def add_rich_transaction(self, state: BridgeState) -> None:
        state.add_transaction(
            "ACT-1",
            "TRN-1",
            posted=NOW - HOUR,
            amount="-33293.43",
            description="Uncle Frank's Bait Shop",
            transacted_at=NOW - 2 * HOUR,
            payee="Uncle Frank",
            memo="bait",
            extra={"category": "food"},
        )

    def test_v1_is_the_default_with_org_and_errors(self, bridge: Bridge, access: Access) -> None:
        self.add_rich_transaction(bridge.state)
        body = bridge.accounts_json(access, {"start-date": NOW - DAY})
        assert set(body) == {"errors", "accounts"}
        checking = body["accounts"][0]
        assert checking == {
            "org": {
                "domain": "mybank.example",
                "sfin-url": bridge.root_url,
                "name": "My Bank",
                "url": "https://mybank.example",
                "id": "ORG-1",
            },
            "id": "ACT-1",
            "name": "Checking",
            "currency": "USD",
            "balance": "100.23",
            "available-balance": "75.23",
            "balance-date": NOW,
            "transactions": [
                {
                    "id": "TRN-1",
                    "posted": NOW - HOUR,
                    "amount": "-33293.43",
                    "description": "Uncle Frank's Bait Shop",
                    "transacted_at": NOW - 2 * HOUR,
                    "payee": "Uncle Frank",
                    "memo": "bait",
                    "extra": {"category": "food"},
                }
            ],
        }

    def test_v2_has_connections_errlist_and_conn_id(self, bridge: Bridge, access: Access) -> None:
        self.add_rich_transaction(bridge.state)
        body = bridge.accounts_json(access, {"start-date": NOW - DAY, "version": 2})
        assert set(body) == {"errlist", "connections", "accounts"}
        assert body["connections"][0] == {
            "conn_id": "CON-1",
            "name": "My Bank - Jill",
            "org_id": "ORG-1",
            "org_url": "https://mybank.example",
            "sfin_url": bridge.root_url,
            "org_name": "My Bank",
        }
        checking = body["accounts"][0]
        assert checking["conn_id"] == "CON-1"
        assert "org" not in checking
        assert checking["transactions"][0]["amount"] == "-33293.43"

    def test_default_version_is_configurable(self, bridge: Bridge, access: Access) -> None:
        bridge.state.settings.default_version = 2
        assert "errlist" in bridge.accounts_json(access)
        assert "errors" in bridge.accounts_json(access, {"version": 1})

    def test_v2_message_key_and_deprecated_errors_are_configurable(
        self, bridge: Bridge, access: Access
    ) -> None:
        bridge.state.settings.error_message_key = "message"
        bridge.state.settings.v2_also_errors = True
        bridge.state.require_reauth("CON-2")
        body = bridge.accounts_json(access, {"version": 2, "start-date": NOW - DAY})
        text = "Connection to Other Bank may need attention"
        assert body["errlist"] == [{"code": "con.auth", "message": text, "conn_id": "CON-2"}]
        assert body["errors"] == [text]

    def test_holdings_and_account_extra(self, bridge: Bridge, access: Access) -> None:
        holding = {"id": "HOL-1", "symbol": "VTI", "shares": "3", "market_value": "700.00", "created": NOW}
        bridge.state.add_connection("CON-3", name="Broker", org_id="ORG-3", org_name="Broker")
        bridge.state.add_account(
            "ACT-9", conn_id="CON-3", name="Brokerage", holdings=[holding], extra={"account-open-date": 1}
        )
        body = bridge.accounts_json(access, {"account": "ACT-9", "start-date": NOW - DAY})
        assert body["accounts"][0]["holdings"] == [holding]
        assert body["accounts"][0]["extra"] == {"account-open-date": 1}

    def test_custom_currency_url_is_served(self, bridge: Bridge, access: Access) -> None:
        miles = bridge.state.add_custom_currency("miles", name="Example Airline Miles", abbr="miles")
        bridge.state.add_account("ACT-M", conn_id="CON-2", name="Miles", currency=miles.url, balance="1200")
        body = bridge.accounts_json(access, {"account": "ACT-M", "start-date": NOW - DAY})
        assert body["accounts"][0]["currency"] == miles.url
        assert bridge.get(miles.url).json() == {"name": "Example Airline Miles", "abbr": "miles"}


class TestScenarios:
    window = {"start-date": NOW - 5 * DAY, "pending": 1}

    def test_pending_posted_under_a_new_id_with_a_tip(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_pending(
            "ACT-1", "TRN-A", transacted_at=NOW - 2 * DAY, amount="-20.00", description="Diner"
        )
        assert transaction_ids(bridge.accounts_json(access, self.window)) == ["TRN-A"]

        bridge.state.post_pending("ACT-1", "TRN-A", posted=NOW - DAY, new_id="TRN-B", amount="-24.00")

        (posted,) = bridge.accounts_json(access, self.window)["accounts"][0]["transactions"]
        assert posted == {
            "id": "TRN-B",
            "posted": NOW - DAY,
            "amount": "-24.00",
            "description": "Diner",
            "transacted_at": NOW - 2 * DAY,
        }

    def test_pending_posted_under_its_own_id(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_pending(
            "ACT-1", "TRN-A", transacted_at=NOW - 2 * DAY, amount="-20", description="Diner"
        )
        bridge.state.post_pending("ACT-1", "TRN-A", posted=NOW - DAY)
        (posted,) = bridge.accounts_json(access, self.window)["accounts"][0]["transactions"]
        assert (posted["id"], posted["posted"], "pending" in posted) == ("TRN-A", NOW - DAY, False)

    def test_pending_can_linger_beside_its_posted_copy(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_pending(
            "ACT-1", "TRN-A", transacted_at=NOW - 2 * DAY, amount="-20", description="Diner"
        )
        bridge.state.post_pending("ACT-1", "TRN-A", posted=NOW - DAY, new_id="TRN-B", keep_pending=True)
        assert transaction_ids(bridge.accounts_json(access, self.window)) == ["TRN-A", "TRN-B"]

    def test_ids_of_a_date_block_rotate(self, bridge: Bridge, access: Access) -> None:
        for day in (1, 2, 3):
            bridge.state.add_transaction(
                "ACT-1", f"TRN-{day}", posted=NOW - day * DAY, amount="-1", description="d"
            )
        before = bridge.accounts_json(access, self.window)["accounts"][0]["transactions"]

        renamed = bridge.state.rotate_ids("ACT-1", start=NOW - 3 * DAY, end=NOW - DAY)

        after = bridge.accounts_json(access, self.window)["accounts"][0]["transactions"]
        assert renamed == {"TRN-3": "TRN-3-R1", "TRN-2": "TRN-2-R2"}
        assert [t["id"] for t in after] == ["TRN-3-R1", "TRN-2-R2", "TRN-1"]
        assert [{**t, "id": None} for t in after] == [{**t, "id": None} for t in before]

    def test_failed_account_and_reauth_in_v2(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_transaction("ACT-2", "TRN-S", posted=NOW - HOUR, amount="1", description="interest")
        bridge.state.fail_account("ACT-1")
        bridge.state.fail_account("ACT-2", omit=False)
        bridge.state.mark_missing_data("ACT-3")
        bridge.state.require_reauth("CON-1")

        body = bridge.accounts_json(access, {"version": 2, "start-date": NOW - DAY})

        assert [a["id"] for a in body["accounts"]] == ["ACT-2", "ACT-3"]
        assert "transactions" not in body["accounts"][0]
        assert body["accounts"][1]["transactions"] == []
        assert [(e["code"], e.get("conn_id"), e.get("account_id")) for e in body["errlist"]] == [
            ("con.auth", "CON-1", None),
            ("act.failed", None, "ACT-1"),
            ("act.failed", None, "ACT-2"),
            ("act.missingdata", None, "ACT-3"),
        ]

    def test_reauth_in_v1_uses_the_org_name(self, bridge: Bridge, access: Access) -> None:
        bridge.state.require_reauth("CON-1")
        body = bridge.accounts_json(access, {"start-date": NOW - DAY})
        assert body["errors"] == ["Connection to My Bank may need attention"]
        bridge.state.require_reauth("CON-1", needed=False)
        assert bridge.accounts_json(access, {"start-date": NOW - DAY})["errors"] == []


class TestEditing:
    def test_balance_changes_and_transactions_go(self, bridge: Bridge, access: Access) -> None:
        bridge.state.add_transaction("ACT-1", "TRN-1", posted=NOW - HOUR, amount="-3", description="x")
        bridge.state.set_balance("ACT-1", "90.00", balance_date=NOW - 60)
        bridge.state.remove_transaction("ACT-1", "TRN-1")
        checking = bridge.accounts_json(access, {"start-date": NOW - DAY})["accounts"][0]
        assert (checking["balance"], checking["balance-date"], checking["transactions"]) == (
            "90.00",
            NOW - 60,
            [],
        )
        assert "available-balance" not in checking

    def test_a_recovered_account_is_listed_again(self, bridge: Bridge, access: Access) -> None:
        bridge.state.fail_account("ACT-1")
        bridge.state.recover_account("ACT-1")
        body = bridge.accounts_json(access, {"start-date": NOW - DAY})
        assert (body["errors"], body["accounts"][0]["id"]) == ([], "ACT-1")

    def test_reset_forgets_the_world_and_the_accesses(self, bridge: Bridge, access: Access) -> None:
        bridge.state.settings.default_version = 2
        bridge.state.reset()
        assert bridge.accounts(access).status_code == 403
        fresh = bridge.state.issue_access()
        assert bridge.accounts_json(fresh) == {
            "errors": [],
            "accounts": [],
            "x-api-message": [NO_START_DATE_MESSAGE],
        }

    def test_records_handed_back_are_copies(self, bridge: Bridge, access: Access) -> None:
        transaction = bridge.state.add_transaction(
            "ACT-1", "TRN-1", posted=NOW - HOUR, amount="-3", description="x"
        )
        transaction.amount = "-1000"
        access.revoked = True
        assert (
            bridge.accounts_json(access, {"start-date": NOW - DAY})["accounts"][0]["transactions"][0][
                "amount"
            ]
            == "-3"
        )

    def test_info_answers_under_the_access_url_too(self, bridge: Bridge, access: Access) -> None:
        assert bridge.get(f"{access.url}/info").json() == {"versions": ["1.0"]}


class TestQuota:
    def test_warns_from_48_and_blocks_at_96_a_day(self, bridge: Bridge, access: Access) -> None:
        with httpx.Client(auth=(access.username, access.password), timeout=5) as client:
            answers = [client.get(f"{bridge.root_url}/accounts") for _ in range(96)]
        assert [a.status_code for a in answers] == [200] * 95 + [403]
        assert all(QUOTA_WARNING not in a.json()["errors"] for a in answers[:47])
        assert all(QUOTA_WARNING in a.json()["errors"] for a in answers[47:95])
        assert bridge.state.requests_today(access.username) == 96

        bridge.state.clock.advance(DAY)
        assert bridge.accounts(access).status_code == 403  # the access stays disabled
        assert bridge.state.access(access.username).disabled_for_overuse

    def test_single_account_requests_have_their_own_quota(self, bridge: Bridge, access: Access) -> None:
        bridge.state.settings.quota_warn_at, bridge.state.settings.quota_block_at = 2, 3
        assert bridge.accounts_json(access, {"version": 2})["errlist"] == []
        warned = bridge.accounts_json(access, {"version": 2})["errlist"]
        assert warned == [{"code": "gen.api", "msg": QUOTA_WARNING}]
        assert bridge.accounts_json(access, {"account": "ACT-1", "version": 2})["errlist"] == []
        assert bridge.state.requests_today(access.username) == 2
        assert bridge.state.requests_today(access.username, account_id="ACT-1") == 1

    def test_counts_restart_each_utc_day(self, bridge: Bridge, access: Access) -> None:
        bridge.state.settings.quota_warn_at = 2
        bridge.accounts_json(access)
        bridge.state.clock.advance(DAY)
        assert bridge.state.requests_today(access.username) == 0
        assert bridge.accounts_json(access)["errors"] == []


class TestFaults:
    @pytest.mark.parametrize(("fault", "status"), [(Fault.CLOUDFLARE_403, 403), (Fault.CLOUDFLARE_429, 429)])
    def test_cloudflare_answers_html_everywhere(
        self, bridge: Bridge, access: Access, fault: Fault, status: int
    ) -> None:
        token = bridge.state.mint_setup_token()
        bridge.state.inject_fault(fault)
        for response in (bridge.accounts(access), bridge.post(token.claim_url)):
            assert response.status_code == status
            assert response.headers["content-type"].startswith("text/html")
            assert "Cloudflare" in response.text
        bridge.state.clear_faults()
        assert bridge.post(token.claim_url).status_code == 200  # the CDN's refusal did not use the code

    def test_garbage_claim_and_accounts(self, bridge: Bridge, access: Access) -> None:
        bridge.state.inject_fault(Fault.GARBAGE, endpoints=["claim", "accounts"])
        claim = bridge.post(bridge.state.mint_setup_token().claim_url)
        accounts = bridge.accounts(access)
        assert claim.status_code == accounts.status_code == 200
        assert not claim.text.startswith("http")
        with pytest.raises(json.JSONDecodeError):
            json.loads(accounts.text)

    def test_hang_holds_the_request_until_the_client_gives_up_and_shutdown_still_works(
        self, http: httpx.Client
    ) -> None:
        state = BridgeState(clock=FakeClock(NOW))
        with running_bridge(state) as running:
            bridge = Bridge(running, http)
            access = state.issue_access()
            state.inject_fault(Fault.HANG, endpoints=["accounts"])
            with pytest.raises(httpx.ReadTimeout):
                bridge.accounts(access, timeout=0.3)
            wait_until(lambda: state.hung_request_count() == 1, timeout_s=2, what="the held request")
            assert bridge.get(f"{running.root_url}/info").status_code == 200  # others still answer
            stopping = time.monotonic()
        # Released, not cancelled: uvicorn would only cancel it after its 5 s graceful-shutdown timeout.
        assert time.monotonic() - stopping < 4
        assert state.hung_request_count() == 0


class TestRecording:
    def test_requests_are_recorded_with_their_query(self, bridge: Bridge, access: Access) -> None:
        bridge.accounts(access, [("start-date", "5"), ("account", "a"), ("account", "b")])
        bridge.post(f"{bridge.root_url}/claim/nope")
        accounts, claim = bridge.state.requests()
        assert (accounts.endpoint, accounts.username, accounts.status, accounts.at) == (
            "accounts",
            access.username,
            200,
            NOW,
        )
        assert accounts.query == (("start-date", "5"), ("account", "a"), ("account", "b"))
        assert (claim.endpoint, claim.method, claim.status) == ("claim", "POST", 403)


def test_settings_defaults_match_the_bridge() -> None:
    settings = BridgeSettings()
    assert (settings.quota_warn_at, settings.quota_block_at, settings.max_range_days) == (48, 96, 90)
    assert (settings.info_versions, settings.default_version, settings.error_message_key) == (
        ["1.0"],
        1,
        "msg",
    )
