"""The fake Plaid (tests/fakes/plaid) driven over real HTTP, against the specs it models
(/work/shared/specs/plaid-upstream.md, plaid.md and the OpenAPI file)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from tests.fakes.plaid import (
    DEFAULT_CREDENTIALS,
    AccountSpec,
    FakeClock,
    Institution,
    PlaidFailure,
    PlaidState,
    RunningPlaid,
    running_plaid,
)
from tests.fakes.plaid.app import LINK_SCRIPTS
from tests.fakes.plaid.validation import WEBHOOK_SCHEMAS, check_webhook
from tests.support.receiver import Reply, WebhookReceiver

NOW = 1_767_268_800  # 2026-01-01 12:00:00 UTC
CLIENT_ID, SECRET = DEFAULT_CREDENTIALS
HEADERS = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET, "Plaid-Version": "2020-09-14"}
LINK_REQUEST = {
    "client_name": "Linkgate",
    "language": "en",
    "country_codes": ["US"],
    "user": {"client_user_id": "user-1"},
    "products": ["transactions"],
}


@dataclass(frozen=True)
class Plaid:
    """The running fake and one HTTP client sending the default keys."""

    running: RunningPlaid
    http: httpx.Client

    @property
    def state(self) -> PlaidState:
        return self.running.state

    def post(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(f"{self.running.base_url}{path}", json=body, headers=headers or HEADERS)

    def ok(self, path: str, body: Any) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def error(self, path: str, body: Any, status: int = 400, **kwargs: Any) -> dict[str, Any]:
        response = self.post(path, body, **kwargs)
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        for key in ("error_type", "error_code", "error_message", "display_message", "request_id"):
            assert key in answer
        return answer

    def linked(self, **link_fields: Any) -> tuple[str, str]:
        """(access_token, item_id) of a new Item made through link token → complete_link → exchange."""
        link_token = self.ok("/link/token/create", {**LINK_REQUEST, **link_fields})["link_token"]
        public_token = self.state.complete_link(link_token)
        exchanged = self.ok("/item/public_token/exchange", {"public_token": public_token})
        return exchanged["access_token"], exchanged["item_id"]

    def sync_all(self, access_token: str, cursor: str | None = None, count: int = 100) -> dict[str, Any]:
        """A whole sync loop: every page's changes and the final cursor."""
        added: list[dict[str, Any]] = []
        modified: list[dict[str, Any]] = []
        removed: list[dict[str, Any]] = []
        while True:
            body: dict[str, Any] = {"access_token": access_token, "count": count}
            if cursor is not None:
                body["cursor"] = cursor
            page = self.ok("/transactions/sync", body)
            added += page["added"]
            modified += page["modified"]
            removed += page["removed"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return {"added": added, "modified": modified, "removed": removed, "cursor": cursor}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningPlaid]:
    with running_plaid(PlaidState(clock=FakeClock(NOW))) as running:
        yield running


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:  # one per module: stopping one costs half a second
        yield receiver


@pytest.fixture
def receiver(shared_receiver: WebhookReceiver) -> WebhookReceiver:
    shared_receiver.requests.clear()
    shared_receiver.script = lambda _n: Reply()
    return shared_receiver


@pytest.fixture
def fake(server: RunningPlaid) -> Iterator[Plaid]:
    server.state.reset()
    server.state.clock.set(NOW)
    server.state.seed_transactions = True
    server.state.validate_responses = True
    with httpx.Client(timeout=10) as http:
        yield Plaid(server, http)


# -- auth and request judging ---------------------------------------------------------------------------


def test_wrong_or_unknown_keys_answer_invalid_api_keys(fake: Plaid) -> None:
    body = {"query": "platypus", "country_codes": ["US"]}
    wrong_secret = {**HEADERS, "PLAID-SECRET": "nope"}
    unknown_client = {**HEADERS, "PLAID-CLIENT-ID": "stranger"}
    for headers in (wrong_secret, unknown_client):
        error = fake.error("/institutions/search", body, headers=headers)
        assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_API_KEYS")
    assert fake.state.violations == []


def test_body_credentials_and_a_second_key_pair_are_accepted(fake: Plaid) -> None:
    fake.state.add_credentials("app-client", "app-secret")
    body = {"query": "platypus", "country_codes": ["US"], "client_id": "app-client", "secret": "app-secret"}
    response = fake.post("/institutions/search", body, headers={"Plaid-Version": "2020-09-14"})
    assert response.status_code == 200, response.text
    recorded = fake.state.requests[-1]
    assert recorded.client_id == "app-client"
    assert "secret" not in recorded.body  # type: ignore[operator]
    assert fake.state.violations == []


def test_an_undeclared_field_is_a_violation_answered_invalid_request(fake: Plaid) -> None:
    error = fake.error("/institutions/search", {"query": "x", "country_codes": ["US"], "surprise": 1})
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "UNKNOWN_FIELDS")
    [violation] = fake.state.violations
    assert violation.endpoint == "/institutions/search"
    assert any("surprise" in problem for problem in violation.problems)


def test_a_missing_version_header_or_required_field_is_a_violation(fake: Plaid) -> None:
    no_version = {k: v for k, v in HEADERS.items() if k != "Plaid-Version"}
    error = fake.error("/institutions/search", {"query": "x", "country_codes": ["US"]}, headers=no_version)
    assert error["error_code"] == "INVALID_HEADERS"
    error = fake.error("/institutions/search", {"query": "x"})
    assert error["error_code"] == "MISSING_FIELDS"
    no_keys = {"Plaid-Version": "2020-09-14"}
    error = fake.error("/institutions/search", {"query": "x", "country_codes": ["US"]}, headers=no_keys)
    assert error["error_code"] == "MISSING_FIELDS"
    assert [v.endpoint for v in fake.state.violations] == ["/institutions/search"] * 3


def test_a_body_that_is_not_json_answers_invalid_body(fake: Plaid) -> None:
    response = fake.http.post(f"{fake.running.base_url}/item/get", content=b"access_token=x", headers=HEADERS)
    assert response.status_code == 400
    assert (response.json()["error_type"], response.json()["error_code"]) == (
        "INVALID_REQUEST",
        "INVALID_BODY",
    )
    text = {**HEADERS, "Content-Type": "text/plain"}
    response = fake.http.post(
        f"{fake.running.base_url}/item/get", content=b'{"access_token": "x"}', headers=text
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_BODY")
    assert [v.endpoint for v in fake.state.violations] == ["/item/get"] * 2


def test_an_endpoint_the_fake_does_not_serve_is_a_404_and_a_violation(fake: Plaid) -> None:
    error = fake.error("/transactions/get", {"access_token": "x"}, status=404)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "NOT_FOUND")
    assert [v.endpoint for v in fake.state.violations] == ["/transactions/get"]
    with pytest.raises(ValueError, match="does not serve"):
        fake.state.inject("/transactions/get", "INSTITUTION_DOWN")


# -- tokens and Items -----------------------------------------------------------------------------------


def test_link_token_records_the_request_and_lives_4_hours_then_30_minutes_in_update_mode(fake: Plaid) -> None:
    hook = "http://127.0.0.1:9/hook"
    created = fake.ok(
        "/link/token/create", {**LINK_REQUEST, "webhook": hook, "redirect_uri": "http://127.0.0.1:9/r"}
    )
    assert created["link_token"].startswith("link-sandbox-")
    assert created["expiration"] == "2026-01-01T16:00:00Z"
    [token] = fake.state.link_tokens
    assert (token.products, token.client_user_id, token.webhook) == (["transactions"], "user-1", hook)
    assert token.redirect_uri == "http://127.0.0.1:9/r"
    assert token.access_token is None

    access_token, item_id = fake.linked()
    update = fake.ok("/link/token/create", {**LINK_REQUEST, "access_token": access_token})
    assert update["expiration"] == "2026-01-01T12:30:00Z"
    assert fake.state.link_tokens[-1].update_item_id == item_id
    assert fake.state.link_tokens[-1].access_token == access_token


def test_complete_link_and_exchange_give_an_item_and_the_public_token_is_single_use(fake: Plaid) -> None:
    link_token = fake.ok("/link/token/create", LINK_REQUEST)["link_token"]
    public_token = fake.state.complete_link(link_token, institution_id="ins_109508")
    assert public_token.startswith("public-sandbox-")
    exchanged = fake.ok("/item/public_token/exchange", {"public_token": public_token})
    assert exchanged["access_token"].startswith("access-sandbox-")
    assert len(exchanged["item_id"]) == 37
    again = fake.error("/item/public_token/exchange", {"public_token": public_token})
    assert again["error_code"] == "INVALID_PUBLIC_TOKEN"
    item = fake.ok("/item/get", {"access_token": exchanged["access_token"]})["item"]
    assert (item["institution_id"], item["products"]) == ("ins_109508", ["transactions"])
    optional = {**LINK_REQUEST, "optional_products": ["investments", "income_verification"]}
    public_token = fake.state.complete_link(fake.ok("/link/token/create", optional)["link_token"])
    access_token = fake.ok("/item/public_token/exchange", {"public_token": public_token})["access_token"]
    assert fake.ok("/item/get", {"access_token": access_token})["item"]["products"] == [
        "transactions",
        "investments",
    ]
    accounts = fake.ok("/accounts/get", {"access_token": exchanged["access_token"]})["accounts"]
    assert [(a["type"], a["subtype"]) for a in accounts] == [
        ("depository", "checking"),
        ("depository", "savings"),
        ("credit", "credit card"),
        ("investment", "ira"),
    ]


def test_tokens_expire_on_the_fake_clock(fake: Plaid) -> None:
    link_token = fake.ok("/link/token/create", LINK_REQUEST)["link_token"]
    public_token = fake.state.complete_link(link_token)
    fake.state.clock.advance(30 * 60)
    assert fake.error("/item/public_token/exchange", {"public_token": public_token})["error_code"] == (
        "INVALID_PUBLIC_TOKEN"
    )
    fake.state.clock.advance(4 * 3600)
    with pytest.raises(PlaidFailure, match="INVALID_LINK_TOKEN"):
        fake.state.complete_link(link_token)


def test_another_clients_or_environments_token_is_an_invalid_access_token(fake: Plaid) -> None:
    access_token, _ = fake.linked()
    fake.state.add_credentials("other", "other-secret")
    other = {**HEADERS, "PLAID-CLIENT-ID": "other", "PLAID-SECRET": "other-secret"}
    assert fake.error("/accounts/get", {"access_token": access_token}, headers=other)["error_code"] == (
        "INVALID_ACCESS_TOKEN"
    )
    production = access_token.replace("access-sandbox-", "access-production-")
    assert fake.error("/accounts/get", {"access_token": production})["error_code"] == "INVALID_ACCESS_TOKEN"


def test_removed_item_answers_invalid_access_token(fake: Plaid) -> None:
    access_token, _ = fake.linked()
    assert fake.ok("/item/remove", {"access_token": access_token}).keys() == {"request_id"}
    error = fake.error("/transactions/sync", {"access_token": access_token})
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_ACCESS_TOKEN")


def test_reset_login_puts_the_item_in_error_until_update_mode(fake: Plaid, receiver: WebhookReceiver) -> None:
    access_token, item_id = fake.linked(webhook=receiver.url)
    assert fake.ok("/sandbox/item/reset_login", {"access_token": access_token})["reset_login"] is True
    error = fake.error("/accounts/get", {"access_token": access_token})
    assert (error["error_type"], error["error_code"]) == ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert fake.ok("/item/get", {"access_token": access_token})["item"]["error"]["error_code"] == (
        "ITEM_LOGIN_REQUIRED"
    )
    [request] = receiver.requests
    payload = json.loads(request.body)
    assert (payload["webhook_type"], payload["webhook_code"], payload["item_id"]) == (
        "ITEM",
        "ERROR",
        item_id,
    )
    assert payload["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert payload["error"]["status"] == 400
    update = fake.ok("/link/token/create", {**LINK_REQUEST, "access_token": access_token})["link_token"]
    fake.state.complete_link(update)
    assert fake.ok("/item/get", {"access_token": access_token})["item"]["error"] is None
    assert len(fake.ok("/accounts/get", {"access_token": access_token})["accounts"]) == 4


def test_auth_identity_and_investments_answer_their_shapes(fake: Plaid) -> None:
    access_token, _ = fake.linked(products=["transactions", "auth", "identity", "investments"])
    auth = fake.ok("/auth/get", {"access_token": access_token})
    assert [a["subtype"] for a in auth["accounts"]] == ["checking", "savings"]
    assert [n["routing"] for n in auth["numbers"]["ach"]] == ["011000138", "011000138"]
    identity = fake.ok("/identity/get", {"access_token": access_token})
    assert identity["accounts"][0]["owners"][0]["names"] == ["Alberta Bobbeth Charleson"]
    holdings = fake.ok("/investments/holdings/get", {"access_token": access_token})
    assert {s["ticker_symbol"] for s in holdings["securities"]} == {"VTI", "CUR:USD"}
    window = {"access_token": access_token, "start_date": "2025-01-01", "end_date": "2026-01-01"}
    investments = fake.ok("/investments/transactions/get", {**window, "options": {"count": 1, "offset": 1}})
    assert investments["total_investment_transactions"] == 2
    assert [t["type"] for t in investments["investment_transactions"]] == ["buy"]  # reverse-chronological


# -- /transactions/sync ---------------------------------------------------------------------------------


def test_sync_pages_by_count_with_has_more_and_refuses_counts_out_of_range(fake: Plaid) -> None:
    fake.state.seed_transactions = False
    access_token, item_id = fake.linked()
    fake.state.generate(item_id, 250)
    sizes, has_more, cursor = [], [], None
    while cursor is None or has_more[-1]:
        body = {"access_token": access_token, "count": 100, **({"cursor": cursor} if cursor else {})}
        page = fake.ok("/transactions/sync", body)
        sizes.append(len(page["added"]))
        has_more.append(page["has_more"])
        cursor = page["next_cursor"]
        assert len(cursor) <= 256
    assert (sizes, has_more) == ([100, 100, 50], [True, True, False])
    assert fake.ok("/transactions/sync", {"access_token": access_token, "cursor": cursor})["added"] == []
    for count in (0, 501):
        error = fake.error("/transactions/sync", {"access_token": access_token, "count": count})
        assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")
    assert len(fake.state.violations) == 2


def test_sync_before_data_is_ready_answers_empty_arrays(fake: Plaid) -> None:
    access_token, item_id = fake.linked()
    fake.state.set_transactions_status(item_id, "NOT_READY")
    page = fake.ok("/transactions/sync", {"access_token": access_token})
    assert (page["added"], page["modified"], page["removed"]) == ([], [], [])
    assert (page["next_cursor"], page["has_more"], page["transactions_update_status"]) == (
        "",
        False,
        "NOT_READY",
    )


def test_pending_posted_shows_as_removed_plus_added_with_pending_transaction_id(fake: Plaid) -> None:
    access_token, item_id = fake.linked()
    first = fake.sync_all(access_token)
    [pending] = [t for t in first["added"] if t["pending"]]
    assert pending["amount"] > 0  # Plaid's sign: positive is money out
    posted_id = fake.state.post_pending(item_id, pending["transaction_id"], "posted-1")
    second = fake.sync_all(access_token, first["cursor"])
    assert second["removed"] == [
        {"transaction_id": pending["transaction_id"], "account_id": pending["account_id"]}
    ]
    [posted] = second["added"]
    assert (posted["transaction_id"], posted["pending"], posted["pending_transaction_id"]) == (
        posted_id, False, pending["transaction_id"],
    )  # fmt: skip


def test_sync_compacts_changes_and_reports_modified_and_removed(fake: Plaid) -> None:
    access_token, item_id = fake.linked()
    start = fake.sync_all(access_token)
    [kept, dropped] = fake.state.add_transactions(
        item_id,
        [
            {"amount": 9.5, "date": "2026-01-01", "name": "Kept"},
            {"amount": 1.0, "date": "2026-01-01", "name": "Gone"},
        ],
    )
    fake.state.modify(item_id, kept, name="Kept, renamed")
    fake.state.remove(item_id, dropped)
    old = start["added"][0]
    fake.state.modify(item_id, old["transaction_id"], amount=99.0)
    changes = fake.sync_all(access_token, start["cursor"])
    assert [(t["transaction_id"], t["name"]) for t in changes["added"]] == [(kept, "Kept, renamed")]
    assert [(t["transaction_id"], t["amount"]) for t in changes["modified"]] == [
        (old["transaction_id"], 99.0)
    ]
    assert changes["removed"] == []
    fake.state.remove(item_id, kept)
    assert [r["transaction_id"] for r in fake.sync_all(access_token, changes["cursor"])["removed"]] == [kept]


def test_mutation_during_pagination_fails_the_continuation_and_a_restart_succeeds(fake: Plaid) -> None:
    access_token, item_id = fake.linked()
    first = fake.ok("/transactions/sync", {"access_token": access_token, "count": 3})
    assert first["has_more"] is True
    fake.state.mutate_during_pagination(item_id)
    body = {"access_token": access_token, "count": 3, "cursor": first["next_cursor"]}
    error = fake.error("/transactions/sync", body)
    assert (error["error_type"], error["error_code"]) == (
        "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    )  # fmt: skip
    assert len(fake.sync_all(access_token, count=3)["added"]) == 8
    assert fake.state.violations == []


def test_a_cursor_the_fake_did_not_mint_or_of_another_stream_is_an_invalid_field(fake: Plaid) -> None:
    access_token, item_id = fake.linked()
    assert fake.error("/transactions/sync", {"access_token": access_token, "cursor": "bm9wZQ=="})[
        "error_code"
    ] == ("INVALID_FIELD")
    checking, savings, card = fake.state.account_ids(item_id)[:3]
    stream = fake.ok("/transactions/sync", {"access_token": access_token, "options": {"account_id": card}})
    assert {t["account_id"] for t in stream["added"]} == {card}
    assert [a["account_id"] for a in stream["accounts"]] == [card]
    other = {
        "access_token": access_token,
        "cursor": stream["next_cursor"],
        "options": {"account_id": checking},
    }
    assert fake.error("/transactions/sync", other)["error_code"] == "INVALID_FIELD"
    assert savings not in {t["account_id"] for t in stream["added"]}


def test_a_large_history_generates_and_pages_fast(fake: Plaid) -> None:
    fake.state.seed_transactions = False
    access_token, item_id = fake.linked()
    started = time.perf_counter()
    ids = fake.state.generate(item_id, 50_000)
    generated = time.perf_counter() - started
    assert len(set(ids)) == 50_000
    assert generated < 3.0  # ≈ 0.5 s on an idle machine
    changes = fake.sync_all(access_token, count=500)
    assert len(changes["added"]) == 50_000
    assert time.perf_counter() - started < 12.0  # ≈ 3 s on an idle machine


# -- webhooks -------------------------------------------------------------------------------------------


def verified_claims(fake: Plaid, header: str) -> dict[str, Any]:
    """Verify a Plaid-Verification JWT as a receiver does (plaid-upstream.md §9 steps 2-4)."""
    unverified = jwt.get_unverified_header(header)
    assert unverified["alg"] == "ES256"
    key = fake.ok("/webhook_verification_key/get", {"key_id": unverified["kid"]})["key"]
    claims: dict[str, Any] = jwt.decode(header, jwt.PyJWK(key).key, algorithms=["ES256"])
    return claims


def test_webhooks_are_signed_with_a_jwt_that_verifies_against_the_published_jwk(
    fake: Plaid, receiver: WebhookReceiver
) -> None:
    access_token, item_id = fake.linked(webhook=receiver.url)
    assert fake.ok("/sandbox/item/fire_webhook", {"access_token": access_token,
                   "webhook_code": "SYNC_UPDATES_AVAILABLE"})["webhook_fired"]  # fmt: skip
    [request] = receiver.requests
    payload = json.loads(request.body)
    assert payload == {
        "webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "item_id": item_id,
        "initial_update_complete": True, "historical_update_complete": True, "environment": "sandbox",
    }  # fmt: skip
    assert request.body == json.dumps(payload, indent=2).encode()  # pretty-printed, as Plaid sends
    claims = verified_claims(fake, request.headers["plaid-verification"])
    assert claims["iat"] == NOW
    assert claims["request_body_sha256"] == hashlib.sha256(request.body).hexdigest()
    altered = request.body.replace(b"true", b"false", 1)
    assert claims["request_body_sha256"] != hashlib.sha256(altered).hexdigest()
    [delivery] = fake.state.deliveries
    assert (delivery.status, delivery.body) == (200, request.body)


def test_sync_updates_fire_only_after_a_first_sync(fake: Plaid, receiver: WebhookReceiver) -> None:
    access_token, item_id = fake.linked(webhook=receiver.url)
    assert fake.state.fire_sync_updates(item_id) is None
    fake.ok("/transactions/sync", {"access_token": access_token})
    delivery = fake.state.fire_sync_updates(item_id)
    assert delivery is not None
    assert (delivery.status, delivery.payload["webhook_code"]) == (200, "SYNC_UPDATES_AVAILABLE")
    assert len(receiver.requests) == 1


def test_webhook_update_acknowledges_at_the_new_url(fake: Plaid, receiver: WebhookReceiver) -> None:
    access_token, item_id = fake.linked()
    answer = fake.ok("/item/webhook/update", {"access_token": access_token, "webhook": receiver.at("/new")})
    assert answer["item"]["webhook"] == receiver.at("/new")
    [request] = receiver.requests
    assert request.path == "/new"
    assert json.loads(request.body)["new_webhook_url"] == receiver.at("/new")
    assert fake.ok("/transactions/refresh", {"access_token": access_token}).keys() == {"request_id"}
    assert len(fake.ok("/accounts/balance/get", {"access_token": access_token})["accounts"]) == 4


def test_tampered_webhooks_fail_verification_in_the_chosen_way(
    fake: Plaid, receiver: WebhookReceiver
) -> None:
    _, item_id = fake.linked(webhook=receiver.url)
    fake.state.webhook_tampering.foreign_key = True
    fake.state.fire_webhook(item_id, "ITEM", "LOGIN_REPAIRED")
    fake.state.webhook_tampering.foreign_key = False
    fake.state.webhook_tampering.wrong_body_hash = True
    fake.state.webhook_tampering.stale_iat_s = 600
    fake.state.fire_webhook(item_id, "ITEM", "NEW_ACCOUNTS_AVAILABLE")
    fake.state.webhook_tampering.wrong_body_hash = False
    fake.state.webhook_tampering.stale_iat_s = 0
    fake.state.webhook_tampering.unknown_kid = True
    fake.state.fire_webhook(item_id, "ITEM", "LOGIN_REPAIRED")
    foreign, stale, unknown = receiver.requests
    with pytest.raises(jwt.InvalidSignatureError):
        verified_claims(fake, foreign.headers["plaid-verification"])
    claims = verified_claims(fake, stale.headers["plaid-verification"])
    assert claims["iat"] == NOW - 600
    assert claims["request_body_sha256"] != hashlib.sha256(stale.body).hexdigest()
    kid = jwt.get_unverified_header(unknown.headers["plaid-verification"])["kid"]
    assert fake.error("/webhook_verification_key/get", {"key_id": kid})["error_code"] == (
        "INVALID_WEBHOOK_VERIFICATION_KEY_ID"
    )


def test_key_rotation_keeps_the_old_key_with_expired_at(fake: Plaid) -> None:
    old = fake.state.current_kid
    fake.state.clock.advance(60)
    new = fake.state.rotate_key()
    assert new != old
    assert fake.ok("/webhook_verification_key/get", {"key_id": old})["key"]["expired_at"] == NOW + 60
    assert fake.ok("/webhook_verification_key/get", {"key_id": new})["key"]["expired_at"] is None


def test_a_failed_delivery_is_recorded_and_non_loopback_urls_are_refused(
    fake: Plaid, receiver: WebhookReceiver
) -> None:
    receiver.script = lambda _n: Reply(status=500)
    _, item_id = fake.linked(webhook=receiver.url)
    delivery = fake.state.fire_webhook(item_id, "ITEM", "ERROR")
    assert delivery.status == 500
    assert delivery.payload["error"] == {**delivery.payload["error"], "error_code": "ITEM_LOGIN_REQUIRED"}  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        fake.state.fire_webhook(item_id, "ITEM", "LOGIN_REPAIRED", url="http://example.com/hook")
    access_token, _ = fake.linked(webhook="https://linkgate.example/hook")
    body = {"access_token": access_token, "webhook_code": "ERROR", "webhook_type": "ITEM"}
    assert fake.error("/sandbox/item/fire_webhook", body)["error_code"] == "SANDBOX_WEBHOOK_INVALID"
    assert len(fake.state.deliveries) == 1


# -- faults ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "error_type"),
    [
        ("INSTITUTION_DOWN", 400, "INSTITUTION_ERROR"),
        ("INSTITUTION_NOT_RESPONDING", 400, "INSTITUTION_ERROR"),
        ("RATE_LIMIT_EXCEEDED", 429, "RATE_LIMIT_EXCEEDED"),
        ("INTERNAL_SERVER_ERROR", 500, "API_ERROR"),
        ("PRODUCT_NOT_READY", 400, "ITEM_ERROR"),
    ],
)
def test_injected_faults_answer_their_status_then_stop(
    fake: Plaid, code: str, status: int, error_type: str
) -> None:
    access_token, _ = fake.linked()
    fake.state.inject("/accounts/get", code, times=2)
    for _ in range(2):
        error = fake.error("/accounts/get", {"access_token": access_token}, status=status)
        assert (error["error_type"], error["error_code"]) == (error_type, code)
    fake.ok("/accounts/get", {"access_token": access_token})
    recorded = [(r.status, r.error_code) for r in fake.state.requests_to("/accounts/get")]
    assert recorded == [(status, code), (status, code), (200, None)]


# -- institutions and the official client ---------------------------------------------------------------


def test_institution_search_filters_and_caps_and_get_by_id_knows_the_catalog(fake: Plaid) -> None:
    search = {
        "query": "platypus",
        "country_codes": ["US"],
        "options": {"oauth": True, "include_optional_metadata": True},
    }
    [oauth_bank] = fake.ok("/institutions/search", search)["institutions"]
    assert (oauth_bank["institution_id"], oauth_bank["oauth"]) == ("ins_127287", True)
    assert oauth_bank["logo"] is None
    plain = fake.ok("/institutions/get_by_id", {"institution_id": "ins_109508", "country_codes": ["US"],
                                                 "options": {"include_optional_metadata": True}})  # fmt: skip
    assert (plain["institution"]["name"], plain["institution"]["url"]) == (
        "First Platypus Bank",
        "https://www.platypus.com",
    )
    assert plain["institution"]["routing_numbers"]
    unknown = fake.error("/institutions/get_by_id", {"institution_id": "ins_0", "country_codes": ["US"]})
    assert unknown["error_code"] == "INVALID_INSTITUTION"
    for number in range(12):
        fake.state.add_institution(
            Institution(f"ins_cap_{number}", f"Cap Bank {number}", ("auth",), ("US",), (), False)
        )
    capped = fake.ok(
        "/institutions/search", {"query": "cap bank", "country_codes": ["US"], "products": ["auth"]}
    )
    assert [i["institution_id"] for i in capped["institutions"]] == [f"ins_cap_{n}" for n in range(10)]


def test_the_official_client_reads_the_fake(fake: Plaid) -> None:
    configuration = plaid.Configuration(
        host=fake.running.base_url,
        api_key={"clientId": CLIENT_ID, "secret": SECRET, "plaidVersion": "2020-09-14"},
    )
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("transactions")]
        )
    )
    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public.public_token)
    )
    synced = client.transactions_sync(TransactionsSyncRequest(access_token=exchanged.access_token))
    assert len(synced.added) == 8
    assert (
        client.item_get(ItemGetRequest(access_token=exchanged.access_token)).item.item_id == exchanged.item_id
    )
    institution = client.institutions_get_by_id(
        InstitutionsGetByIdRequest(institution_id="ins_127287", country_codes=[CountryCode("US")])
    ).institution
    assert institution.oauth is True
    key = client.webhook_verification_key_get(
        WebhookVerificationKeyGetRequest(key_id=fake.state.current_kid)
    ).key
    assert key.expired_at is None
    assert fake.state.violations == []


# -- the fake Link's endpoints --------------------------------------------------------------------------


def test_the_link_script_and_its_endpoints_allow_any_origin(fake: Plaid) -> None:
    origin = {"Origin": "http://127.0.0.1:1"}
    script = fake.http.get(f"{fake.state.link_script_url}", headers=origin)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert script.headers["access-control-allow-origin"] == "*"
    assert "window.Plaid" in script.text
    link_token = fake.ok("/link/token/create", LINK_REQUEST)["link_token"]
    session = fake.http.post(
        f"{fake.running.base_url}/link/fake/session", json={"link_token": link_token}, headers=origin
    )
    assert session.headers["access-control-allow-origin"] == "*"
    assert {"ins_109508", "ins_127287"} <= {i["institution_id"] for i in session.json()["institutions"]}
    done = fake.http.post(
        f"{fake.running.base_url}/link/fake/complete",
        json={"link_token": link_token, "institution_id": "ins_109508"},
    ).json()
    assert done["public_token"].startswith("public-sandbox-")
    assert done["metadata"]["institution"] == {"name": "First Platypus Bank", "institution_id": "ins_109508"}
    assert {"id", "name", "mask", "type", "subtype", "verification_status"} <= done["metadata"]["accounts"][
        0
    ].keys()
    bad = fake.http.post(
        f"{fake.running.base_url}/link/fake/session", json={"link_token": "link-sandbox-nope"}
    )
    assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_LINK_TOKEN")


def test_the_link_frame_page_and_its_script_are_served(fake: Plaid) -> None:
    page = fake.http.get(f"{fake.running.base_url}/link/fake/frame", params={"token": "t", "origin": "o"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "content-security-policy" not in page.headers
    assert '<script src="frame.js"></script>' in page.text
    script = fake.http.get(f"{fake.running.base_url}/link/fake/frame.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert "/link/fake/session" in script.text


def test_oauth_redirect_completes_once_and_only_with_the_same_link_token(fake: Plaid) -> None:
    redirect = "http://127.0.0.1:9/connect/oauth"
    link_token = fake.ok("/link/token/create", {**LINK_REQUEST, "redirect_uri": redirect})["link_token"]
    other_token = fake.ok("/link/token/create", {**LINK_REQUEST, "redirect_uri": redirect})["link_token"]
    url = fake.state.start_oauth(link_token, "ins_127287")
    assert url.startswith(f"{redirect}?oauth_state_id=")
    with pytest.raises(PlaidFailure, match="INCORRECT_LINK_TOKEN"):
        fake.state.resume_oauth(other_token, url)
    public_token, institution_id = fake.state.resume_oauth(link_token, url)
    assert institution_id == "ins_127287"
    assert fake.state.item_of_public_token(public_token).institution_id == "ins_127287"
    with pytest.raises(PlaidFailure, match="OAUTH_STATE_ID_ALREADY_PROCESSED"):
        fake.state.resume_oauth(link_token, url)


def test_complete_link_with_chosen_accounts(fake: Plaid) -> None:
    link_token = fake.ok("/link/token/create", LINK_REQUEST)["link_token"]
    only = AccountSpec("Everyday", "depository", "checking", "4242", 10.0, 10.0)
    public_token = fake.state.complete_link(link_token, accounts=[only])
    access_token = fake.ok("/item/public_token/exchange", {"public_token": public_token})["access_token"]
    [account] = fake.ok("/accounts/get", {"access_token": access_token})["accounts"]
    assert (account["name"], account["mask"], account["balances"]["current"]) == ("Everyday", "4242", 10.0)
    item_id = fake.state.item_id_for(access_token)
    fake.state.set_balance(item_id, account["account_id"], current=7.5, available=7.0)
    added = fake.state.add_account(item_id, AccountSpec("Rainy Day", "depository", "savings", "9999", 1.0))
    accounts = fake.ok("/accounts/get", {"access_token": access_token})["accounts"]
    assert [(a["account_id"], a["balances"]["current"]) for a in accounts] == [
        (account["account_id"], 7.5),
        (added, 1.0),
    ]


@pytest.mark.parametrize("script", LINK_SCRIPTS, ids=lambda path: path.name)
def test_the_link_scripts_have_no_syntax_errors(script: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    checked = subprocess.run([node, "--check", str(script)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(("webhook_type", "webhook_code"), sorted(WEBHOOK_SCHEMAS))
def test_default_webhook_bodies_match_their_schema(webhook_type: str, webhook_code: str) -> None:
    state = PlaidState(clock=FakeClock(NOW))
    item = state.create_item(products=["transactions", "investments"])
    check_webhook(state.webhook_payload(item.item_id, webhook_type, webhook_code))  # raises when not


def test_production_environment_mints_production_tokens() -> None:
    state = PlaidState(clock=FakeClock(NOW), environment="production")
    item = state.create_item()
    assert item.access_token.startswith("access-production-")
    assert state.webhook_payload(item.item_id, "ITEM", "LOGIN_REPAIRED")["environment"] == "production"
