"""The `/v2/yodlee` collection over real HTTP, written from specs/yodlee.md and the v1.1 swagger file:
tokens, users, providers, provider accounts, accounts, transactions, holdings and data extracts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest

from tests.support.conformance import openapi
from tests.support.moneykit import Gateway
from tests.support.yodlee import CREDENTIALS_BANK, GOOD_LOGIN, VERSION, Yodlee, all_time


@pytest.fixture(scope="module")
def yodlee(gateway: Gateway) -> Yodlee:
    return Yodlee(gateway)


@pytest.fixture(scope="module")
def other(gateway: Gateway) -> Yodlee:
    assert gateway.other_tenant is not None
    return Yodlee(gateway.other_tenant)


@pytest.fixture(scope="module")
def linked(yodlee: Yodlee) -> tuple[str, str, int]:
    return yodlee.linked_user()


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["errorCode"] == code, body
    assert set(body) == {"errorCode", "errorMessage", "referenceCode"}
    assert body["referenceCode"] == response.headers["x-request-id"]
    return body


# Tokens ---------------------------------------------------------------------------------------


def test_tokens_are_201_with_yodlee_shape(yodlee: Yodlee) -> None:
    form = {"clientId": yodlee.gateway.client_id, "secret": yodlee.gateway.client_secret}
    admin = httpx.post(f"{yodlee.base}/auth/token", headers=VERSION, data=form)
    assert admin.status_code == 201, admin.text
    token = admin.json()["token"]
    assert set(token) == {"accessToken", "issuedAt", "expiresIn"}
    assert isinstance(token["expiresIn"], int)
    dt.datetime.strptime(token["issuedAt"], "%Y-%m-%dT%H:%M:%SZ")
    user = httpx.post(
        f"{yodlee.base}/auth/token", headers=VERSION | {"loginName": "ysl-token-user"}, data=form
    )
    assert user.status_code == 201, user.text
    me = yodlee.ok("GET", "/user", user.json()["token"]["accessToken"])["user"]
    assert me["loginName"] == "ysl-token-user"
    assert isinstance(me["id"], int)


def test_token_errors(yodlee: Yodlee) -> None:
    base, good = f"{yodlee.base}/auth/token", yodlee.gateway.client_id
    error(httpx.post(base, headers=VERSION, data={"clientId": good, "secret": "wrong"}), 400, "Y301")
    error(httpx.post(base, headers=VERSION, data={"clientId": good}), 400, "Y303")
    form = {"clientId": good, "secret": yodlee.gateway.client_secret}
    error(httpx.post(base, data=form), 401, "Y016")
    error(httpx.post(base, headers=VERSION | {"loginName": "has space"}, data=form), 400, "Y800")
    error(httpx.post(base, headers=VERSION | {"loginName": "ab"}, data=form), 400, "Y801")


def test_missing_or_bad_headers(yodlee: Yodlee) -> None:
    error(
        httpx.get(f"{yodlee.base}/accounts", headers={"authorization": f"Bearer {yodlee.admin}"}), 401, "Y016"
    )
    error(httpx.get(f"{yodlee.base}/accounts", headers={"Api-Version": "1.0"}), 400, "Y800")
    error(yodlee.call("GET", "/accounts", None), 401, "Y007")
    error(yodlee.call("GET", "/accounts", "not-a-token"), 401, "Y008")
    error(yodlee.call("GET", "/accounts", yodlee.admin), 401, "Y015")  # the admin token reads no user data


# Users ----------------------------------------------------------------------------------------


def test_register_get_update_and_unregister_a_user(yodlee: Yodlee, other: Yodlee) -> None:
    body = {"user": {"loginName": "ysl-registered", "email": "ada@example.com",
                     "name": {"first": "Ada", "last": "Lovelace"},
                     "preferences": {"currency": "USD"}}}  # fmt: skip
    registered = yodlee.ok("POST", "/user/register", yodlee.admin, json=body)["user"]
    assert registered["loginName"] == "ysl-registered"
    assert registered["roleType"] == "INDIVIDUAL"
    assert isinstance(registered["id"], int)
    error(yodlee.call("POST", "/user/register", yodlee.admin, json=body), 400, "Y811")
    error(yodlee.call("POST", "/user/register", yodlee.admin, json={"user": {"email": "x@y.z"}}), 400, "Y803")
    bad = {"user": {"loginName": "ysl-bad-email", "email": "nope"}}
    error(yodlee.call("POST", "/user/register", yodlee.admin, json=bad), 400, "Y800")
    nul = {"user": {"loginName": "ysl-nul", "name": {"first": "A\u0000"}}}
    error(yodlee.call("POST", "/user/register", yodlee.admin, json=nul), 400, "Y800")
    token = yodlee.token("ysl-registered")
    error(yodlee.call("POST", "/user/register", token, json=body), 401, "Y015")
    assert yodlee.ok("GET", "/user", token)["user"]["id"] == registered["id"]
    update = {"user": {"email": "ada@lovelace.dev", "address": {"city": "London"}}}
    assert yodlee.call("PUT", "/user", token, json=update).status_code == 204
    me = yodlee.ok("GET", "/user", token)["user"]
    assert me["email"] == "ada@lovelace.dev"
    assert me["address"] == {"city": "London"}
    assert me["name"] == {"first": "Ada", "last": "Lovelace"}
    # Another tenant's user of the same loginName is a different user.
    assert other.ok("GET", "/user", other.token("ysl-registered"))["user"].get("email") is None
    assert yodlee.call("DELETE", "/user/unregister", token).status_code == 204


# Providers ------------------------------------------------------------------------------------


def test_providers_with_stable_ids_and_login_forms(yodlee: Yodlee) -> None:
    providers = yodlee.ok("GET", "/providers", yodlee.admin)["provider"]
    assert [p["id"] for p in providers] == [100001, 100002, 100003, 100004]
    assert providers[0]["name"] == "Credentials Bank"
    assert providers[1]["authType"] == "OAUTH"
    detail = yodlee.ok("GET", f"/providers/{CREDENTIALS_BANK}", yodlee.admin)["provider"]
    assert len(detail) == 1
    fields = [f["id"] for row in detail[0]["loginForm"][0]["row"] for f in row["field"]]
    assert fields == ["username", "password"]
    assert yodlee.ok("GET", "/providers?name=instant", yodlee.admin)["provider"][0]["id"] == 100003
    (simplefin,) = yodlee.ok("GET", "/providers?name=SimpleFIN", yodlee.admin)["provider"]
    assert (simplefin["id"], simplefin["name"]) == (100004, "SimpleFIN Bridge")
    assert [p["id"] for p in yodlee.ok("GET", "/providers?skip=1&top=1", yodlee.admin)["provider"]] == [
        100002
    ]
    error(yodlee.call("GET", "/providers?top=501", yodlee.admin), 400, "Y804")
    error(yodlee.call("GET", "/providers/999", yodlee.admin), 400, "Y800")
    error(yodlee.call("GET", "/providers/abc", yodlee.admin), 400, "Y800")
    error(yodlee.call("GET", "/providers?name=a%00b", yodlee.admin), 400, "Y800")


def test_providers_by_name_ignore_skip_and_top(yodlee: Yodlee) -> None:
    """The description: skip and top are "not applicable along with 'name'"; even bad ones are ignored."""
    for paging in ("skip=1&top=1", "skip=-1&top=9999", "skip=x"):
        found = yodlee.ok("GET", f"/providers?name=bank&{paging}", yodlee.admin)["provider"]
        assert [p["id"] for p in found] == [100001, 100002, 100003]


def test_providers_count(yodlee: Yodlee) -> None:
    _, token = yodlee.new_user()
    for caller in (yodlee.admin, token):
        assert yodlee.ok("GET", "/providers/count", caller) == {"provider": {"TOTAL": {"count": 4}}}
    assert yodlee.ok("GET", "/providers/count?name=instant", yodlee.admin)["provider"]["TOTAL"]["count"] == 1
    assert yodlee.ok("GET", "/providers/count?name=nowhere", yodlee.admin)["provider"]["TOTAL"]["count"] == 0
    error(yodlee.call("GET", "/providers/count?name=a%00b", yodlee.admin), 400, "Y800")
    error(yodlee.call("GET", "/providers/count", None), 401, "Y007")


UNICODE_DIGITS = ("\u0663", "\uff13", "1\u0663", "\u00b2", "--1")  # Arabic-Indic 3, fullwidth 3, ², ...


def test_unicode_digits_are_bad_values(yodlee: Yodlee, linked: tuple[str, str, int]) -> None:
    """`str.isdigit` takes '٣' and '３' (and '²', which `int` then refuses): each is Y800, never a 500."""
    _, token, provider_account_id = linked
    for digits in UNICODE_DIGITS:
        for path in (f"/providers/{digits}", f"/providers?skip={digits}", f"/providers?top={digits}",
                     f"/providers?providerId={digits}"):  # fmt: skip
            error(yodlee.call("GET", path, yodlee.admin), 400, "Y800")
        for method, path in (
            ("GET", f"/providerAccounts/{digits}"), ("DELETE", f"/providerAccounts/{digits}"),
            ("PUT", f"/providerAccounts?providerAccountIds={digits}"),
            ("PUT", f"/providerAccounts?providerAccountIds={provider_account_id},{digits}"),
            ("POST", f"/providerAccounts?providerId={digits}"),
            ("GET", f"/accounts?accountId={digits}"), ("GET", f"/accounts?providerAccountId={digits}"),
            ("GET", f"/transactions?accountId={digits}"), ("GET", f"/transactions?skip={digits}"),
            ("GET", f"/transactions?top={digits}"), ("GET", f"/transactions/count?accountId={digits}"),
            ("GET", f"/holdings?accountId={digits}"), ("GET", f"/holdings?providerAccountId={digits}"),
            ("GET", f"/accounts/historicalBalances?accountId={digits}"),
            ("GET", f"/accounts/historicalBalances?skip={digits}"),
            ("GET", f"/accounts/historicalBalances?top={digits}"),
            ("GET", f"/accounts/latestBalances?providerAccountId={digits}&accountId=1"),
            ("GET", f"/accounts/latestBalances?providerAccountId={provider_account_id}&accountId={digits}"),
        ):  # fmt: skip
            json = {"field": GOOD_LOGIN} if method == "POST" else None
            error(yodlee.call(method, path, token, json=json), 400, "Y800")
        # These two operations declare 404 and no 400.
        error(yodlee.call("GET", f"/providerAccounts?providerIds={digits}", token), 404, "Y807")
        error(yodlee.call("GET", f"/accounts/{digits}", token), 404, "Y807")


# Provider accounts ----------------------------------------------------------------------------


def test_adding_a_provider_account_refreshes_it(yodlee: Yodlee, linked: tuple[str, str, int]) -> None:
    _, token, provider_account_id = linked
    listed = yodlee.ok("GET", "/providerAccounts", token)["providerAccount"]
    assert [p["id"] for p in listed] == [provider_account_id]
    assert listed[0]["providerId"] == CREDENTIALS_BANK
    assert listed[0]["status"] == "SUCCESS"
    assert {d["name"] for d in listed[0]["dataset"]} == {"BASIC_AGG_DATA", "ACCT_PROFILE"}
    assert yodlee.ok("GET", "/providerAccounts?providerIds=100003", token)["providerAccount"] == []


def test_bad_logins_and_requests_write_nothing(yodlee: Yodlee) -> None:
    _, token = yodlee.new_user()
    wrong = [{"id": "username", "value": "user_good"}, {"id": "password", "value": "nope"}]
    path = f"/providerAccounts?providerId={CREDENTIALS_BANK}"
    error(yodlee.call("POST", path, token, json={"field": wrong}), 400, "Y400")
    error(yodlee.call("POST", "/providerAccounts", token, json={"field": GOOD_LOGIN}), 400, "Y803")
    error(yodlee.call("POST", "/providerAccounts?providerId=100002", token, json={"field": []}), 400, "Y901")
    error(yodlee.call("POST", path, token, json={"field": GOOD_LOGIN[:1]}), 400, "Y803")
    error(
        yodlee.call("POST", path, token, content=b"{", headers={"content-type": "application/json"}),
        400,
        "Y806",
    )
    assert yodlee.ok("GET", "/providerAccounts", token)["providerAccount"] == []


def mfa_login(password: str) -> list[dict[str, str]]:
    return [{"id": "username", "value": "user_good"}, {"id": "password", "value": password}]


def test_mfa_logins_are_relayed(yodlee: Yodlee, other: Yodlee) -> None:
    """The provider account waits USER_INPUT_REQUIRED with the MFA login form; PUT answers it."""
    name, token = yodlee.new_user()
    path = f"/providerAccounts?providerId={CREDENTIALS_BANK}"
    added = yodlee.ok("POST", path, token, status=201, json={"field": mfa_login("mfa_device")})
    provider_account_id = added["providerAccount"][0]["id"]
    assert added["providerAccount"][0]["status"] == "USER_INPUT_REQUIRED"
    pending = yodlee.ok("GET", f"/providerAccounts/{provider_account_id}", token)["providerAccount"][0]
    assert pending["status"] == "USER_INPUT_REQUIRED"
    assert {d["additionalStatus"] for d in pending["dataset"]} == {"ADDL_AUTHENTICATION_REQUIRED"}
    [form] = pending["loginForm"]
    assert form["formType"] == "token"
    [row] = form["row"]
    assert "1234" in row["label"]
    assert [(f["id"], f["type"]) for f in row["field"]] == [("code", "text")]
    assert [p["id"] for p in yodlee.ok("GET", "/providerAccounts", token)["providerAccount"]] == [
        provider_account_id
    ]
    put = f"/providerAccounts?providerAccountIds={provider_account_id}"
    answer = {"field": [{"id": "code", "value": "1234"}]}
    # Bad input, and another user's or app's token: nothing is answered.
    error(yodlee.call("PUT", put, token, json={"field": [{"id": "code", "value": "12\u00004"}]}), 400, "Y800")
    error(yodlee.call("PUT", f"{put},{provider_account_id + 1}", token, json=answer), 400, "Y805")
    for client, stranger in ((yodlee, yodlee.new_user()[1]), (other, other.token(name))):
        error(client.call("PUT", put, stranger, json=answer), 400, "Y800")
    assert (
        yodlee.ok("GET", f"/providerAccounts/{provider_account_id}", token)["providerAccount"][0]["status"]
        == "USER_INPUT_REQUIRED"
    )
    answered = yodlee.ok("PUT", put, token, json=answer)["providerAccount"][0]
    assert answered["id"] == provider_account_id
    assert answered["status"] in ("IN_PROGRESS", "SUCCESS")
    assert "loginForm" not in answered
    yodlee.wait_success(token, provider_account_id)
    assert {a["providerAccountId"] for a in yodlee.ok("GET", "/accounts", token)["account"]} == {
        provider_account_id
    }
    # Nothing waits for an answer any more: a field now would be a credential update.
    error(yodlee.call("PUT", put, token, json=answer), 400, "Y901")


def test_mfa_questions_choices_and_wrong_answers(yodlee: Yodlee) -> None:
    _, token = yodlee.new_user()
    path = f"/providerAccounts?providerId={CREDENTIALS_BANK}"
    questions = yodlee.ok("POST", path, token, status=201, json={"field": mfa_login("mfa_question")})
    questions_id = questions["providerAccount"][0]["id"]
    [form] = yodlee.ok("GET", f"/providerAccounts/{questions_id}", token)["providerAccount"][0]["loginForm"]
    assert form["formType"] == "questionAndAnswer"
    assert [f["id"] for row in form["row"] for f in row["field"]] == ["q1", "q2"]
    wrong = {"field": [{"id": "q1", "value": "Hello"}, {"id": "q2", "value": "Moon"}]}
    failed = yodlee.ok("PUT", f"/providerAccounts?providerAccountIds={questions_id}", token, json=wrong)
    assert failed["providerAccount"][0]["status"] == "FAILED"
    assert {d["additionalStatus"] for d in failed["providerAccount"][0]["dataset"]} == {
        "INVALID_ADDL_INFO_PROVIDED"
    }
    choices = yodlee.ok("POST", path, token, status=201, json={"field": mfa_login("mfa_selections")})
    choices_id = choices["providerAccount"][0]["id"]
    [form] = yodlee.ok("GET", f"/providerAccounts/{choices_id}", token)["providerAccount"][0]["loginForm"]
    [field] = form["row"][0]["field"]
    assert (field["id"], field["type"]) == ("colour", "options")
    assert [o["optionValue"] for o in field["option"]] == ["Red", "Green", "Blue"]
    right = {"field": [{"id": "colour", "value": "Blue"}]}
    chosen = yodlee.ok("PUT", f"/providerAccounts?providerAccountIds={choices_id}", token, json=right)
    assert chosen["providerAccount"][0]["status"] in ("IN_PROGRESS", "SUCCESS")
    yodlee.wait_success(token, choices_id)


def test_refresh_keeps_ids_stable(yodlee: Yodlee) -> None:
    _, token, provider_account_id = yodlee.linked_user()
    before_accounts = [a["id"] for a in yodlee.ok("GET", "/accounts", token)["account"]]
    before = [t["id"] for t in yodlee.ok("GET", "/transactions", token, params=all_time())["transaction"]]
    refreshed = yodlee.ok("PUT", f"/providerAccounts?providerAccountIds={provider_account_id}", token)
    assert refreshed["providerAccount"][0]["id"] == provider_account_id
    assert refreshed["providerAccount"][0]["status"] == "IN_PROGRESS"
    yodlee.wait_success(token, provider_account_id)
    assert [a["id"] for a in yodlee.ok("GET", "/accounts", token)["account"]] == before_accounts
    after = [t["id"] for t in yodlee.ok("GET", "/transactions", token, params=all_time())["transaction"]]
    assert set(before) <= set(after)
    error(yodlee.call("PUT", "/providerAccounts", token), 400, "Y803")
    error(yodlee.call("PUT", "/providerAccounts?providerAccountIds=1,x", token), 400, "Y800")


def test_deleting_a_provider_account(yodlee: Yodlee) -> None:
    _, token, provider_account_id = yodlee.linked_user()
    deleted = yodlee.call("DELETE", f"/providerAccounts/{provider_account_id}", token)
    assert (deleted.status_code, deleted.content) == (200, b"")  # the description declares 200, not 204
    error(yodlee.call("GET", f"/providerAccounts/{provider_account_id}", token), 400, "Y800")
    error(yodlee.call("DELETE", f"/providerAccounts/{provider_account_id}", token), 400, "Y800")
    assert yodlee.ok("GET", "/accounts", token)["account"] == []


# Accounts, transactions, holdings --------------------------------------------------------------


def test_accounts(yodlee: Yodlee, linked: tuple[str, str, int]) -> None:
    _, token, provider_account_id = linked
    accounts = yodlee.ok("GET", "/accounts", token)["account"]
    assert {a["CONTAINER"] for a in accounts} == {"bank", "creditCard", "investment"}
    for account in accounts:
        assert isinstance(account["id"], int)
        assert account["providerAccountId"] == provider_account_id
        assert account["providerId"] == str(CREDENTIALS_BANK)
        assert set(account["balance"]) == {"amount", "currency"}
        assert isinstance(account["balance"]["amount"], float | int)
    one = yodlee.ok("GET", f"/accounts/{accounts[0]['id']}", token)["account"]
    assert one == [accounts[0]]
    banks = yodlee.ok("GET", "/accounts?container=bank", token)["account"]
    assert {a["accountType"] for a in banks} == {"CHECKING", "SAVINGS"}
    error(yodlee.call("GET", "/accounts?container=boat", token), 400, "Y800")
    # getAccount declares 404 and no 400: unknown and malformed ids are both Y807.
    for unknown in ("999999999999", "abc", "0", "\u0663", "\uff13"):
        error(yodlee.call("GET", f"/accounts/{unknown}", token), 404, "Y807")
    error(yodlee.call("GET", "/accounts?providerAccountId=" + ",".join(["1"] * 101), token), 400, "Y824")


def test_transactions_page_with_skip_and_top(yodlee: Yodlee, linked: tuple[str, str, int]) -> None:
    _, token, _ = linked
    window = all_time()
    everything = yodlee.ok("GET", "/transactions", token, params=window)["transaction"]
    total = yodlee.ok("GET", "/transactions/count", token, params=window)["transaction"]["TOTAL"]["count"]
    assert total == len(everything) >= 10
    pages: list[dict[str, Any]] = []
    for skip in range(0, total, 7):
        pages += yodlee.ok("GET", "/transactions", token, params=window | {"skip": skip, "top": 7})[
            "transaction"
        ]
    assert [t["id"] for t in pages] == [t["id"] for t in everything]
    assert len({t["id"] for t in pages}) == total
    dates = [t["date"] for t in everything]
    assert dates == sorted(dates, reverse=True)
    sample = everything[0]
    assert sample["baseType"] in ("CREDIT", "DEBIT")
    assert sample["status"] in ("POSTED", "PENDING")
    assert set(sample["description"]) >= {"original", "simple"}
    assert set(sample["amount"]) == {"amount", "currency"}
    assert sample["amount"]["amount"] >= 0
    credits = yodlee.ok("GET", "/transactions", token, params=window | {"baseType": "CREDIT"})["transaction"]
    assert credits
    assert {t["baseType"] for t in credits} == {"CREDIT"}
    count = yodlee.ok("GET", "/transactions/count", token, params=window | {"baseType": "CREDIT"})
    assert count["transaction"]["TOTAL"]["count"] == len(credits)
    card = yodlee.ok("GET", "/transactions", token, params=window | {"container": "creditCard"})[
        "transaction"
    ]
    assert card
    assert {t["CONTAINER"] for t in card} == {"creditCard"}
    one_account = everything[0]["accountId"]
    only = yodlee.ok("GET", "/transactions", token, params=window | {"accountId": one_account})["transaction"]
    assert {t["accountId"] for t in only} == {one_account}


def test_transaction_bad_input(yodlee: Yodlee, linked: tuple[str, str, int]) -> None:
    _, token, _ = linked
    error(yodlee.call("GET", "/transactions?top=501", token), 400, "Y804")
    error(yodlee.call("GET", "/transactions?top=0", token), 400, "Y804")
    error(yodlee.call("GET", "/transactions?skip=-1", token), 400, "Y804")
    error(yodlee.call("GET", "/transactions?fromDate=2026-02-01&toDate=2026-01-01", token), 400, "Y809")
    error(yodlee.call("GET", "/transactions?fromDate=01/02/2026", token), 400, "Y800")
    error(yodlee.call("GET", "/transactions?baseType=BOTH", token), 400, "Y800")
    error(yodlee.call("GET", "/transactions?container=bank,creditCard", token), 400, "Y805")
    error(yodlee.call("GET", "/transactions?accountId=12345678901", token), 400, "Y800")


def test_holdings(yodlee: Yodlee, linked: tuple[str, str, int]) -> None:
    _, token, provider_account_id = linked
    holdings = yodlee.ok("GET", "/holdings", token)["holding"]
    assert holdings
    investment = next(
        a for a in yodlee.ok("GET", "/accounts", token)["account"] if a["CONTAINER"] == "investment"
    )
    for holding in holdings:
        assert holding["accountId"] == investment["id"]
        assert holding["providerAccountId"] == provider_account_id
        assert isinstance(holding["quantity"], float)
    assert {h["symbol"] for h in holdings if "symbol" in h} >= {"VTI", "AAPL"}
    again = yodlee.ok("GET", f"/holdings?accountId={investment['id']}", token)["holding"]
    assert [h["id"] for h in again] == [h["id"] for h in holdings]


# Tenant isolation -----------------------------------------------------------------------------


def test_another_tenant_or_user_sees_nothing(
    yodlee: Yodlee, other: Yodlee, linked: tuple[str, str, int]
) -> None:
    name, token, provider_account_id = linked
    account_id = yodlee.ok("GET", "/accounts", token)["account"][0]["id"]
    strangers = [other.token(name), yodlee.new_user()[1]]  # same loginName at another app; another user
    for stranger in strangers:
        error(other.call("GET", f"/providerAccounts/{provider_account_id}", stranger), 400, "Y800")
        error(other.call("GET", f"/accounts/{account_id}", stranger), 404, "Y807")
        error(other.call("GET", f"/transactions?accountId={account_id}", stranger), 400, "Y800")
        error(other.call("DELETE", f"/providerAccounts/{provider_account_id}", stranger), 400, "Y800")
        error(other.call("PUT", f"/providerAccounts?providerAccountIds={provider_account_id}", stranger),
              400, "Y800")  # fmt: skip
    foreign = other.token(name)
    assert other.ok("GET", "/accounts", foreign)["account"] == []
    assert other.ok("GET", "/transactions", foreign, params=all_time())["transaction"] == []
    assert yodlee.ok("GET", f"/providerAccounts/{provider_account_id}", token)["providerAccount"][0][
        "id"
    ] == (provider_account_id)


# Data extracts --------------------------------------------------------------------------------


def test_data_extracts(yodlee: Yodlee, other: Yodlee) -> None:
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    name, token, provider_account_id = yodlee.linked_user()
    end = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = {"fromDate": start, "toDate": end}
    events = yodlee.ok(
        "GET", "/dataExtracts/events", yodlee.admin, params=window | {"eventName": "DATA_UPDATES"}
    )
    data = events["event"]["data"]
    names = [entry["user"]["loginName"] for entry in data["userData"]]
    assert name in names
    assert data["userCount"] == len(names)
    href = next(e for e in data["userData"] if e["user"]["loginName"] == name)["links"][0]["href"]
    assert href.startswith("dataExtracts/userData?")
    extract = yodlee.ok("GET", "/" + href, yodlee.admin)["userData"][0]
    assert extract["user"] == {"loginName": name}
    assert [p["id"] for p in extract["providerAccount"]] == [provider_account_id]
    listed = yodlee.ok("GET", "/transactions", token, params=all_time())["transaction"]
    assert extract["totalTransactionsCount"] == len(extract["transaction"]) == len(listed)
    assert {t["id"] for t in extract["transaction"]} == {t["id"] for t in listed}
    assert len(extract["account"]) == 4
    # Another tenant's admin does not see this user; bad windows are Y800, missing parameters Y803.
    other_events = other.ok(
        "GET", "/dataExtracts/events", other.admin, params=window | {"eventName": "DATA_UPDATES"}
    )
    assert name not in [e["user"]["loginName"] for e in other_events["event"]["data"]["userData"]]
    error(
        other.call("GET", "/dataExtracts/userData", other.admin, params=window | {"loginName": name}),
        400,
        "Y800",
    )
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stale = {"eventName": "DATA_UPDATES", "fromDate": old, "toDate": end}
    error(yodlee.call("GET", "/dataExtracts/events", yodlee.admin, params=stale), 400, "Y800")
    error(yodlee.call("GET", "/dataExtracts/events", yodlee.admin, params=window), 400, "Y803")
    backwards = {"eventName": "DATA_UPDATES", "fromDate": end, "toDate": start}
    error(yodlee.call("GET", "/dataExtracts/events", yodlee.admin, params=backwards), 400, "Y800")
    error(
        yodlee.call("GET", "/dataExtracts/userData", token, params=window | {"loginName": name}), 401, "Y015"
    )


# Operations we do not serve ------------------------------------------------------------------

SERVED = frozenset({
    "generateAccessToken", "deleteToken", "registerUser", "getUser", "updateUser", "unregister",
    "getAllProviders", "getProvidersCount", "getProvider", "linkProviderAccount", "getAllProviderAccounts",
    "editCredentialsOrRefreshProviderAccount", "getProviderAccount", "deleteProviderAccount",
    "getAllAccounts", "getAccount", "getLatestBalances", "getHistoricalBalances", "getTransactions",
    "getTransactionsCount", "getTransactionCategories", "getHoldings", "getSubscribedNotificationEvents",
    "createSubscriptionNotificationEvent", "updateSubscribedNotificationEvent",
    "deleteSubscribedNotificationEvent", "getDataExtractsEvents", "getDataExtractsUserData",
})  # fmt: skip


def test_operations_we_do_not_serve_are_404_in_yodlee_shape(yodlee: Yodlee) -> None:
    """Every operation of the description that we do not implement is 404 Y807, whether or not one of
    our `{id}` routes shares its path (/providerAccounts/profile, POST /accounts/evaluateAddress, ...)."""
    _, token = yodlee.new_user()
    document = openapi.load("yodlee-v1.1-swagger.yaml").document
    unserved = [(method.upper(), re.sub(r"\{[^}/]+\}", "1", template))
                for template, item in document["paths"].items()
                for method, spec in item.items()
                if method in openapi.METHODS and spec["operationId"] not in SERVED]  # fmt: skip
    assert len(unserved) > 50
    for method, path in unserved:
        for caller in (token, yodlee.admin):
            response = yodlee.call(method, path, caller, json={} if method in ("POST", "PUT") else None)
            assert response.status_code == 404, f"{method} {path}: {response.text}"
            error(response, 404, "Y807")


# Tokens, categories, balances --------------------------------------------------------------------


def test_deleting_a_token_revokes_it(yodlee: Yodlee) -> None:
    name, token = yodlee.new_user()
    admin = yodlee.token()
    for revoked, probe in ((token, "/user"), (admin, "/configs/notifications/events")):
        assert yodlee.call("GET", probe, revoked).status_code == 200
        deleted = yodlee.call("DELETE", "/auth/token", revoked)
        assert (deleted.status_code, deleted.content) == (204, b"")
        error(yodlee.call("GET", probe, revoked), 401, "Y008")
        error(yodlee.call("DELETE", "/auth/token", revoked), 401, "Y008")
    # A new token of the same user works; so does the admin token this module uses.
    assert yodlee.ok("GET", "/user", yodlee.token(name))["user"]["loginName"] == name
    assert yodlee.call("GET", "/configs/notifications/events", yodlee.admin).status_code == 200
    error(yodlee.call("DELETE", "/auth/token", None), 401, "Y007")
    error(yodlee.call("DELETE", "/auth/token", "not-a-token"), 401, "Y008")


def test_transaction_categories(yodlee: Yodlee, linked: tuple[str, str, int]) -> None:
    _, token, _ = linked
    listed = yodlee.ok("GET", "/transactions/categories", token)["transactionCategory"]
    assert listed == yodlee.ok("GET", "/transactions/categories", yodlee.admin)["transactionCategory"]
    assert {c["type"] for c in listed} == {"EXPENSE", "INCOME", "TRANSFER", "UNCATEGORIZE"}
    details = {d["id"] for c in listed for d in c["detailCategory"]}
    transactions = yodlee.ok("GET", "/transactions", token, params=all_time())["transaction"]
    assert transactions
    for transaction in transactions:
        assert transaction["categoryId"] in {c["id"] for c in listed}
        assert transaction["detailCategoryId"] in details
    error(yodlee.call("GET", "/transactions/categories", None), 401, "Y007")


def test_latest_balances(yodlee: Yodlee, other: Yodlee, linked: tuple[str, str, int]) -> None:
    name, token, provider_account_id = linked
    accounts = yodlee.ok("GET", "/accounts", token)["account"]
    banks = [a for a in accounts if a["CONTAINER"] in ("bank", "investment")]
    card = next(a for a in accounts if a["CONTAINER"] == "creditCard")
    ids = ",".join(str(a["id"]) for a in banks)
    path = f"/accounts/latestBalances?providerAccountId={provider_account_id}&accountId="
    latest = yodlee.ok("GET", path + ids, token)["accountBalance"]
    assert [b["accountId"] for b in latest] == [a["id"] for a in banks]
    for balance, account in zip(latest, banks, strict=True):
        assert balance["balance"] == account["balance"]
        assert balance["providerAccountId"] == provider_account_id
        assert balance["refreshStatus"] == "SUCCESS"
    error(yodlee.call("GET", path + str(card["id"]), token), 400, "Y820")
    error(yodlee.call("GET", path, token), 400, "Y803")
    error(yodlee.call("GET", f"/accounts/latestBalances?accountId={ids}", token), 400, "Y803")
    error(yodlee.call("GET", path + ",".join(str(n) for n in range(1, 12)), token), 400, "Y824")
    error(yodlee.call("GET", f"/accounts/latestBalances?providerAccountId=1,2&accountId={ids}", token),
          400, "Y805")  # fmt: skip
    error(yodlee.call("GET", path + "999999999", token), 400, "Y800")
    # Another user, or the same loginName at another app, gets what a missing id gets.
    for client, stranger in ((yodlee, yodlee.new_user()[1]), (other, other.token(name))):
        error(client.call("GET", path + ids, stranger), 400, "Y800")


def test_historical_balances(yodlee: Yodlee, other: Yodlee, linked: tuple[str, str, int]) -> None:
    name, token, _ = linked
    accounts = {a["id"]: a for a in yodlee.ok("GET", "/accounts", token)["account"]}
    today = dt.datetime.now(dt.UTC).date()
    history = yodlee.ok("GET", "/accounts/historicalBalances", token)["account"]
    assert {h["id"] for h in history} == set(accounts)
    for account in history:
        # The first refresh kept today's snapshot; nothing before it, even carried forward.
        [point] = account["historicalBalances"]
        assert (point["date"], point["asOfDate"], point["dataSourceType"]) == (
            (today.isoformat(),) * 2 + ("S",)
        )
        assert point["balance"] == accounts[account["id"]]["balance"]
        assert point["isAsset"] == accounts[account["id"]]["isAsset"]
    one = next(iter(accounts))
    week = {"accountId": one, "interval": "W", "includeCF": "true",
            "fromDate": (today - dt.timedelta(days=30)).isoformat(), "toDate": today.isoformat()}  # fmt: skip
    assert [
        h["id"] for h in yodlee.ok("GET", "/accounts/historicalBalances", token, params=week)["account"]
    ] == [one]
    paged = yodlee.ok("GET", "/accounts/historicalBalances?skip=1&top=2", token)["account"]
    assert [h["id"] for h in paged] == [h["id"] for h in history][1:3]
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    for params, code in (({"interval": "Y"}, "Y800"), ({"includeCF": "maybe"}, "Y800"),
                         ({"toDate": tomorrow}, "Y802"), ({"fromDate": "2026/01/01"}, "Y800"),
                         ({"fromDate": today.isoformat(), "toDate": "2020-01-01"}, "Y809"),
                         ({"top": "501"}, "Y804"), ({"accountId": "999999999"}, "Y800")):  # fmt: skip
        error(yodlee.call("GET", "/accounts/historicalBalances", token, params=params), 400, code)
    for client, stranger in ((yodlee, yodlee.new_user()[1]), (other, other.token(name))):
        error(client.call("GET", f"/accounts/historicalBalances?accountId={one}", stranger), 400, "Y800")
        assert client.ok("GET", "/accounts/historicalBalances", stranger)["account"] == []
