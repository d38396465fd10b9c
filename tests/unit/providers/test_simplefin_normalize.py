"""SimpleFIN account sets (versions 1 and 2) in normalised shapes, and setup tokens decoded and checked."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from providers.simplefin.client import AccessUrl, TokenUnusable, claim_url_of
from providers.simplefin.normalize import CUSTOM_CURRENCY, account_set
from providers.simplefin.settings import SimpleFinSettings

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
POSTED = int(dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC).timestamp())
TRANSACTED = int(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC).timestamp())
BRIDGE = SimpleFinSettings(allowed_hosts=("bridge.simplefin.org", "beta-bridge.simplefin.org"))


def v1_account(**overrides: Any) -> dict[str, Any]:
    account: dict[str, Any] = {
        "org": {"domain": "mybank.com", "sfin-url": "https://sfin.mybank.com", "name": "My Bank",
                "id": "ORG-1"},
        "id": "ACT-1", "name": "Everyday Checking 1234", "currency": "USD", "balance": "1500.25",
        "available-balance": "1400.00", "balance-date": POSTED,
        "transactions": [
            {"id": "TRN-1", "posted": POSTED, "amount": "-33.40", "description": "COFFEE SHOP #12",
             "payee": "Coffee Shop", "memo": "card 1234"},
            {"id": "TRN-2", "posted": 0, "pending": True, "transacted_at": TRANSACTED, "amount": "2500.00",
             "description": "PAYROLL"},
        ],
    }  # fmt: skip
    return account | overrides


def v2_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "errlist": [],
        "connections": [{"conn_id": "CON-1", "name": "My Bank (login 1)", "org_id": "ORG-1",
                         "org_name": "My Bank", "org_url": "https://mybank.com", "sfin_url": "https://x"}],
        "accounts": [
            {"conn_id": "CON-1", "id": "ACT-1", "name": "Visa Credit Card", "currency": "USD",
             "balance": "-250.00", "balance-date": POSTED, "transactions": []},
            {"conn_id": "CON-1", "id": "ACT-2", "name": "Savings", "currency": "https://example.com/points",
             "balance": "10", "balance-date": POSTED},
        ],
    }  # fmt: skip
    return body | overrides


class TestVersionOne:
    def test_accounts_and_balances(self) -> None:
        found = account_set({"errors": [], "accounts": [v1_account()]}, NOW)
        assert found.version == 1
        (account,) = found.accounts
        assert account.provider_account_id == "ORG-1/ACT-1"
        assert (account.type, account.subtype, account.mask) == ("depository", "checking", "1234")
        assert account.balance_current == Decimal("1500.25")
        assert account.balance_available == Decimal("1400.00")
        assert account.balances_as_of == dt.datetime.fromtimestamp(POSTED, dt.UTC)
        assert [(i.provider_institution_id, i.name) for i in found.institutions] == [("ORG-1", "My Bank")]

    def test_signed_amounts_become_directions_and_pending_dates_by_transacted_at(self) -> None:
        posted, pending = account_set({"errors": [], "accounts": [v1_account()]}, NOW).transactions
        assert (posted.provider_transaction_id, posted.amount, posted.direction) == (
            "ORG-1/ACT-1/TRN-1", Decimal("33.40"), "debit"
        )  # fmt: skip
        assert (posted.date, posted.pending) == (dt.date(2026, 12, 1), False)
        assert posted.merchant_name == "Coffee Shop"
        assert posted.original_description == "COFFEE SHOP #12 (card 1234)"
        assert (pending.direction, pending.pending, pending.date) == ("credit", True, dt.date(2026, 12, 2))

    def test_an_omitted_available_balance_equals_the_balance(self) -> None:
        account = v1_account()
        del account["available-balance"]
        (normalized,) = account_set({"errors": [], "accounts": [account]}, NOW).accounts
        assert normalized.balance_available == Decimal("1500.25")

    def test_reauthentication_texts_without_accounts_need_the_end_user(self) -> None:
        found = account_set({"errors": ["Connection to My Bank may need attention"], "accounts": []}, NOW)
        assert found.needs_reauth
        warned = account_set({"errors": ["Make fewer requests"], "accounts": [v1_account()]}, NOW)
        assert not warned.needs_reauth

    def test_malformed_entries_are_skipped_not_fatal(self) -> None:
        account = v1_account(transactions=[
            {"id": "A", "posted": POSTED, "amount": "not a number", "description": "x"},
            {"posted": POSTED, "amount": "1.00", "description": "no id"},
            {"id": "B", "posted": 0, "amount": "1.00", "description": "pending with no date"},
            "not an object",
        ])  # fmt: skip
        assert account_set({"errors": [], "accounts": [account]}, NOW).transactions == ()


class TestVersionTwo:
    def test_liabilities_owe_a_positive_balance_and_custom_currencies_are_xxx(self) -> None:
        card, savings = account_set(v2_body(), NOW).accounts
        assert card.provider_account_id == "CON-1/ACT-1"
        assert (card.type, card.subtype) == ("liability", "credit_card")
        assert card.balance_current == Decimal("250.00")
        assert (savings.subtype, savings.currency) == ("savings", CUSTOM_CURRENCY)

    def test_the_connection_names_the_bank(self) -> None:
        found = account_set(v2_body(), NOW)
        assert found.version == 2
        assert [(i.provider_institution_id, i.name, i.url) for i in found.institutions] == [
            ("ORG-1", "My Bank", "https://mybank.com")
        ]

    def test_a_failing_account_is_named_and_does_not_fail_the_set(self) -> None:
        errlist = [{"code": "act.failed", "msg": "Could not fetch", "conn_id": "CON-1",
                    "account_id": "ACT-2"}]  # fmt: skip
        found = account_set(v2_body(errlist=errlist), NOW)
        assert found.failed_accounts == frozenset({"CON-1/ACT-2"})
        assert not found.needs_reauth

    @pytest.mark.parametrize("key", ["msg", "message"])  # the draft names the text field both ways
    def test_a_connection_needing_reauth_fails_the_set_when_it_holds_every_account(self, key: str) -> None:
        errlist = [{"code": "con.auth", key: "Sign in again", "conn_id": "CON-1"}]
        found = account_set(v2_body(errlist=errlist), NOW)
        assert found.needs_reauth
        assert found.errors[0].message == "Sign in again"

    def test_server_text_is_sanitised(self) -> None:
        errlist = [{"code": "gen.auth", "msg": "Bad\x1b[31m login\n"}]
        assert account_set(v2_body(errlist=errlist), NOW).errors[0].message == "Bad[31m login"


def token(url: str) -> str:
    return base64.b64encode(url.encode()).decode()


class TestSetupTokens:
    def test_the_published_demo_token_decodes_to_its_claim_url(self) -> None:
        demo = "aHR0cHM6Ly9iZXRhLWJyaWRnZS5zaW1wbGVmaW4ub3JnL3NpbXBsZWZpbi9jbGFpbS9ERU1P"
        assert claim_url_of(demo, BRIDGE) == "https://beta-bridge.simplefin.org/simplefin/claim/DEMO"

    def test_whitespace_and_missing_padding_are_forgiven(self) -> None:
        pasted = " " + token("https://bridge.simplefin.org/simplefin/claim/abc").rstrip("=") + "\n"
        assert claim_url_of(pasted, BRIDGE) == "https://bridge.simplefin.org/simplefin/claim/abc"

    @pytest.mark.parametrize(
        ("pasted", "reason"),
        [
            ("", "whole setup token"),
            ("not base64 at all!", "not a SimpleFIN setup token"),
            (token("just some words"), "not a SimpleFIN setup token"),
            (token("ftp://bridge.simplefin.org/claim/x"), "not a SimpleFIN setup token"),
            (token("https://user:pw@bridge.simplefin.org/claim/x"), "not a SimpleFIN setup token"),
            (token("http://bridge.simplefin.org/simplefin/claim/x"), "https"),
            (token("https://evil.example/simplefin/claim/x"), "evil.example is not a SimpleFIN server"),
            (token("https://169.254.169.254/latest/meta-data"), "169.254.169.254 is not a SimpleFIN server"),
        ],
    )
    def test_unusable_tokens_are_refused_before_any_call(self, pasted: str, reason: str) -> None:
        with pytest.raises(TokenUnusable, match=reason) as refused:
            claim_url_of(pasted, BRIDGE)
        assert refused.value.error_code == "user_input_incorrect"

    def test_any_host_when_the_operator_allows_any(self) -> None:
        anywhere = SimpleFinSettings(allowed_hosts=("*",))
        assert (
            claim_url_of(token("https://sfin.mybank.com/claim/1"), anywhere)
            == "https://sfin.mybank.com/claim/1"
        )


class TestAccessUrls:
    def test_credentials_are_split_from_the_url(self) -> None:
        access = AccessUrl.parse("https://user123:pass%40456@bridge.simplefin.org/simplefin/\n", BRIDGE)
        assert (access.base, access.username, access.password) == (
            "https://bridge.simplefin.org/simplefin", "user123", "pass@456"
        )  # fmt: skip
        assert AccessUrl.parse(access.serialise(), BRIDGE) == access

    @pytest.mark.parametrize(
        "text",
        ["https://bridge.simplefin.org/simplefin", "<html>oops</html>", "https://u:p@evil.example/simplefin",
         "http://u:p@bridge.simplefin.org/simplefin"],
    )  # fmt: skip
    def test_an_answer_that_is_not_a_usable_access_url_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="URL|credentials|https|not a SimpleFIN server"):
            AccessUrl.parse(text, BRIDGE)
