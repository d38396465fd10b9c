"""Bad input on every MoneyKit route: MoneyKit's error shape and status, and nothing changed.

Each operation answers bad input with the error its official client declares for it: link routes with
their 422 LinkErrorBadStateResponse (`link_error_code` says the request failed validation), link
sessions with 403 forbidden_config, the token exchange with 400 invalid_token_exchange; operations that
declare nothing usable answer 422 api_error.request.validation_failed (a chosen deviation). Every such
body names the wrong field. Driven over HTTP with httpx: the official client validates its own
arguments, so it cannot send most of these requests.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.moneykit import Gateway

VALIDATION = (422, "api_error.request.validation_failed")
LINK_BAD_INPUT = (422, "link_error.bad_state")
SESSION_BAD_INPUT = (403, "link_session_error.forbidden_config")
EXCHANGE_BAD_INPUT = (400, "link_session_error.invalid_token_exchange")
LINK_NOT_FOUND = (404, "link_error.not_found")
FORBIDDEN = (403, "link_error.forbidden_action")
# The bad-input answers whose validation_errors name the wrong field.
NAMES_THE_FIELD = (VALIDATION, LINK_BAD_INPUT, SESSION_BAD_INPUT, EXCHANGE_BAD_INPUT)

# (method, path under /v1/moneykit with {link} for a connected link, query, JSON body, status, error_code)
BAD_REQUESTS: list[tuple[str, str, dict[str, Any] | None, Any, tuple[int, str]]] = [
    ("GET", "/links/{link}/transactions", {"size": 0}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions", {"size": 1001}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions", {"page": 0}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions", {"page": "two"}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions", {"start_date": "2024-13-01"}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions", {"start_date": "2024-05-02", "end_date": "2024-05-01"}, None,
     LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions/sync", {"cursor": "not-one-of-ours"}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions/sync", {"cursor": "x" * 201}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/transactions/sync", {"size": 501}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/investments/transactions", {"end_date": "yesterday"}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/investments/transactions", {"size": 1001}, None, LINK_BAD_INPUT),
    ("GET", "/links/{link}/accounts/not-an-account", None, None, LINK_NOT_FOUND),
    ("GET", "/links/{link}/accounts/" + str(uuid.uuid4()), None, None, LINK_NOT_FOUND),
    ("GET", "/links/not-a-link-id/accounts", None, None, LINK_NOT_FOUND),
    ("GET", "/links/" + "9" * 300, None, None, LINK_NOT_FOUND),
    ("PATCH", "/links/{link}", None, {"webhook": "not a url"}, LINK_BAD_INPUT),
    ("PATCH", "/links/{link}", None, {"webhook": "ftp://example.com/hook"}, LINK_BAD_INPUT),
    ("PATCH", "/links/{link}", None, {"tags": "vip"}, LINK_BAD_INPUT),
    ("PATCH", "/links/{link}", None, {"tags": ["x" * 101]}, LINK_BAD_INPUT),
    ("PATCH", "/links/{link}", None, [1, 2], LINK_BAD_INPUT),
    ("POST", "/links/{link}/products", None, {"products": []}, LINK_BAD_INPUT),
    ("POST", "/links/{link}/products", None, {"products": ["gold"]}, LINK_BAD_INPUT),
    ("POST", "/links/{link}/products", None, {}, LINK_BAD_INPUT),
    ("POST", "/links/{limited}/products", None, {"products": ["investments"]}, FORBIDDEN),
    ("GET", "/links/{limited}/investments/holdings", None, None, FORBIDDEN),
    ("GET", "/links/{limited}/identity", None, None, FORBIDDEN),
    ("GET", "/links/{limited}/accounts/numbers", None, None, FORBIDDEN),
    ("POST", "/links/{link}/import/transactions", None, {"transactions": "many"}, VALIDATION),
    ("POST", "/links/{link}/import/transactions", None,
     {"transactions": [{"account_id": "a", "amount": "1.00", "date": "2024-05-01"}]}, FORBIDDEN),
    ("POST", "/links/" + str(uuid.uuid4()) + "/import/transactions", None,
     {"transactions": [{"account_id": "a", "amount": "1.00", "date": "2024-05-01"}]}, LINK_NOT_FOUND),
    ("POST", "/webhooks/test/link/{link}", None, {"webhook_event": "link.exploded"}, LINK_BAD_INPUT),
    ("POST", "/link-session/exchange-token", None, {}, EXCHANGE_BAD_INPUT),
    ("POST", "/link-session/exchange-token", None, {"exchangeable_token": ""}, EXCHANGE_BAD_INPUT),
    ("POST", "/link-session/exchange-token", None, {"exchangeable_token": 12}, EXCHANGE_BAD_INPUT),
    ("POST", "/link-session/exchange-token", None, {"exchangeable_token": "ext-made-up"},
     (400, "link_session_error.invalid_token_exchange")),
    ("POST", "/link-session", None, {"customer_user": {"id": "c"}, "redirect_uri": "javascript:alert(1)"},
     SESSION_BAD_INPUT),
    ("POST", "/link-session", None, {"customer_user": {"id": "c"}, "redirect_uri": "http://example.com/back"},
     SESSION_BAD_INPUT),
    ("POST", "/link-session", None, {"customer_user": {"id": "c"}, "redirect_uri": "/relative/path"},
     SESSION_BAD_INPUT),
    ("POST", "/link-session", None, {"customer_user": {}}, SESSION_BAD_INPUT),
    ("POST", "/link-session", None,
     {"customer_user": {"id": "c"}, "settings": {"products": ["gold"]}}, SESSION_BAD_INPUT),
    ("POST", "/link-session", None, {"customer_user": {"id": "c"}, "webhook": "ftp://example.com/hook"},
     SESSION_BAD_INPUT),
    ("POST", "/link-session", None, [1, 2], SESSION_BAD_INPUT),
    ("POST", "/link-session", None, {"customer_user": {"id": "c"}, "institution_id": "no_such_bank"},
     SESSION_BAD_INPUT),
    ("POST", "/link-session", None, {"customer_user": {"id": "c"}, "existing_link_id": str(uuid.uuid4())},
     SESSION_BAD_INPUT),
    ("POST", "/sandbox/exchangeable-token", None,
     {"institution_id": "no_such_bank", "customer_user": {"id": "c"}}, (404, "institution_error.not_found")),
    ("POST", "/sandbox/exchangeable-token", None, {"institution_id": "credentials_bank"}, VALIDATION),
    ("GET", "/institutions/no_such_bank", None, None, (404, "institution_error.not_found")),
    ("GET", "/institutions", {"limit": 0}, None, VALIDATION),
    ("GET", "/links", {"limit": 0}, None, VALIDATION),
    ("GET", "/links", {"limit": 5001}, None, VALIDATION),
    ("GET", "/links", {"cursor": "garbage!"}, None, VALIDATION),
    ("GET", "/users/someone/transactions", {"size": 1001}, None, VALIDATION),
    ("GET", "/users/someone/transactions", {"start_date": "2024-02-30"}, None, VALIDATION),
]  # fmt: skip


def exchanged_link(gateway: Gateway, products: list[str] | None = None, customer: str | None = None) -> str:
    sandbox = httpx.post(
        f"{gateway.base_url}/v1/moneykit/sandbox/exchangeable-token",
        json={"institution_id": "credentials_bank", "customer_user": {"id": customer or uuid.uuid4().hex},
              "username": "user_good", "password": "pass_good", "products": products},
        headers=gateway.headers,
    )  # fmt: skip
    assert sandbox.status_code == 200, sandbox.text
    exchanged = httpx.post(
        f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
        json={"exchangeable_token": sandbox.json()["exchangeable_token"]},
        headers=gateway.headers,
    )
    assert exchanged.status_code == 201, exchanged.text
    link_id: str = exchanged.json()["link_id"]
    gateway.wait_refreshed(link_id)
    return link_id


@pytest.fixture(scope="module")
def connected_link(gateway: Gateway) -> str:
    return exchanged_link(gateway)


@pytest.fixture(scope="module")
def limited_link(gateway: Gateway) -> str:
    """Granted accounts and transactions only."""
    return exchanged_link(gateway, ["accounts", "transactions"])


@pytest.mark.parametrize(("method", "path", "query", "body", "expected"), BAD_REQUESTS)
def test_bad_request_gets_moneykit_error(
    gateway: Gateway,
    connected_link: str,
    limited_link: str,
    method: str,
    path: str,
    query: dict[str, Any] | None,
    body: Any,
    expected: tuple[int, str],
) -> None:
    before = [gateway.get(f"/links/{link}") for link in (connected_link, limited_link)]
    response = httpx.request(
        method,
        f"{gateway.base_url}/v1/moneykit{path.format(link=connected_link, limited=limited_link)}",
        params=query,
        json=body,
        headers=gateway.headers,
    )
    status, code = expected
    assert (response.status_code, response.json().get("error_code")) == (status, code), response.text
    assert set(response.json()) >= {"error_code", "error_message", "documentation_url"}
    assert response.json()["error_message"]
    assert response.headers["x-request-id"]
    if expected in NAMES_THE_FIELD:
        problems = response.json()["validation_errors"]
        assert problems
        assert all(p["location"] and p["message"] for p in problems), problems
    if expected == LINK_BAD_INPUT:
        assert response.json()["link_error_code"] == "api_error.request.validation_failed"
    assert [gateway.get(f"/links/{link}") for link in (connected_link, limited_link)] == before  # unchanged


def test_malformed_json_and_wrong_content_type(gateway: Gateway, connected_link: str) -> None:
    url = f"{gateway.base_url}/v1/moneykit/links/{connected_link}"
    broken = httpx.patch(
        url, content=b'{"tags": [', headers=gateway.headers | {"content-type": "application/json"}
    )
    assert (broken.status_code, broken.json()["error_code"]) == LINK_BAD_INPUT
    assert "JSON" in broken.json()["error_message"]
    form = httpx.patch(url, data={"tags": "x"}, headers=gateway.headers)
    assert (form.status_code, form.json()["error_code"]) == LINK_BAD_INPUT
    assert form.json()["link_error_code"] == "api_error.request.validation_failed"


def test_missing_and_malformed_credentials(gateway: Gateway, connected_link: str) -> None:
    url = f"{gateway.base_url}/v1/moneykit/links/{connected_link}"
    for headers in ({}, {"authorization": "Bearer"}, {"authorization": "Basic Zm9vOmJhcg=="},
                    {"authorization": "Bearer " + "a" * 5000}):  # fmt: skip
        response = httpx.get(url, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error_code"] == "api_error.auth.unauthorized"
    token = httpx.post(f"{gateway.base_url}/v1/moneykit/auth/token",
                       data={"grant_type": "client_credentials", "client_id": gateway.client_id,
                             "client_secret": gateway.client_secret + "x"})  # fmt: skip
    assert token.status_code == 401
    assert token.json()["error_code"] == "api_error.auth.unauthorized"
    unsupported = httpx.post(f"{gateway.base_url}/v1/moneykit/auth/token",
                             data={"grant_type": "password", "client_id": gateway.client_id,
                                   "client_secret": gateway.client_secret})  # fmt: skip
    assert unsupported.status_code == 400  # the status and body MoneyKit's client declares
    assert unsupported.json()["error_code"] == "api_error.auth.unauthorized"
    assert "grant_type" in unsupported.json()["error_message"]
    too_long = httpx.post(f"{gateway.base_url}/v1/moneykit/auth/token",
                          data={"grant_type": "client_credentials", "client_id": "c" * 65,
                                "client_secret": gateway.client_secret})  # fmt: skip
    assert too_long.status_code == 400
    assert too_long.json()["error_code"] == "api_error.auth.unauthorized"
    assert too_long.json()["validation_errors"][0]["location"] == ["body", "client_id"]


def test_another_tenants_accounts_users_and_imports_answer_like_missing_ones(gateway: Gateway) -> None:
    assert gateway.other_tenant is not None
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    connected_link = exchanged_link(gateway, customer=customer)
    stranger = gateway.other_tenant.headers
    account_id = gateway.get(f"/links/{connected_link}/accounts")["accounts"][0]["account_id"]
    base = f"{gateway.base_url}/v1/moneykit"
    foreign = httpx.get(f"{base}/links/{connected_link}/accounts/{account_id}", headers=stranger)
    absent = httpx.get(f"{base}/links/{uuid.uuid4()}/accounts/{account_id}", headers=stranger)
    assert foreign.status_code == absent.status_code == 404
    assert foreign.json() == absent.json()

    batch = {"transactions": [{"transaction_id": "t-1", "account_id": account_id, "amount": "1.00",
                               "type": "debit", "currency": "USD", "date": "2024-05-01", "pending": False,
                               "description": "Coffee"}]}  # fmt: skip
    history = gateway.get(f"/links/{connected_link}/transactions/sync")
    imported = httpx.post(f"{base}/links/{connected_link}/import/transactions", headers=stranger, json=batch)
    missing = httpx.post(f"{base}/links/{uuid.uuid4()}/import/transactions", headers=stranger, json=batch)
    assert imported.status_code == missing.status_code == 404
    assert imported.json() == missing.json()
    assert gateway.get(f"/links/{connected_link}/transactions/sync") == history  # nothing imported

    assert httpx.get(f"{base}/users/{customer}/links", headers=gateway.headers).json()[
        "links"
    ]  # ours sees it
    for suffix in ("links", "accounts", "transactions"):
        theirs = httpx.get(f"{base}/users/{customer}/{suffix}", headers=stranger)
        nobody = httpx.get(f"{base}/users/{uuid.uuid4().hex}/{suffix}", headers=stranger)
        assert theirs.status_code == nobody.status_code, suffix
        assert theirs.json() == nobody.json(), suffix


def test_an_apps_own_url_scheme_is_a_valid_redirect(gateway: Gateway) -> None:
    for redirect in ("myapp://linked", "https://app.example.com/linked?x=1", "http://localhost:3000/cb"):
        created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers,
                             json={"customer_user": {"id": "c"}, "redirect_uri": redirect})  # fmt: skip
        assert created.status_code == 201, (redirect, created.text)


def test_bad_input_says_which_field_is_wrong(gateway: Gateway, connected_link: str) -> None:
    base = f"{gateway.base_url}/v1/moneykit"
    page = httpx.get(
        f"{base}/links/{connected_link}/transactions", params={"size": 0}, headers=gateway.headers
    )
    assert page.json()["validation_errors"] == [
        {"location": ["query", "size"], "message": "Input should be greater than or equal to 1",
         "type": "greater_than_equal"}
    ]  # fmt: skip
    assert "size" in page.json()["error_message"]
    window = httpx.get(f"{base}/links/{connected_link}/transactions", headers=gateway.headers,
                       params={"start_date": "2024-05-02", "end_date": "2024-05-01"})  # fmt: skip
    assert window.json()["validation_errors"][0]["location"] == ["query", "start_date"]
    cursor = httpx.get(f"{base}/links/{connected_link}/transactions/sync", params={"cursor": "nope"},
                       headers=gateway.headers)  # fmt: skip
    assert cursor.json()["validation_errors"][0]["location"] == ["query", "cursor"]
    hook = httpx.patch(f"{base}/links/{connected_link}", json={"webhook": "ftp://example.com/h"},
                       headers=gateway.headers)  # fmt: skip
    assert hook.json()["validation_errors"][0]["location"] == ["body", "webhook"]
    session = httpx.post(f"{base}/link-session", headers=gateway.headers,
                         json={"customer_user": {"id": "c"}, "institution_id": "nope"})  # fmt: skip
    assert session.json()["validation_errors"][0]["location"] == ["body", "institution_id"]
    users = httpx.get(f"{base}/users/someone/transactions", params={"size": 1001}, headers=gateway.headers)
    assert users.json()["validation_errors"][0]["location"] == ["query", "size"]


def test_another_tenants_link_cannot_be_relinked(gateway: Gateway, connected_link: str) -> None:
    """create_link_session declares only 403 for a link it cannot use: another tenant's link id answers
    exactly as a missing one."""
    assert gateway.other_tenant is not None
    url = f"{gateway.base_url}/v1/moneykit/link-session"
    stranger = gateway.other_tenant.headers
    foreign = httpx.post(url, json={"customer_user": {"id": "c"}, "existing_link_id": connected_link},
                         headers=stranger)  # fmt: skip
    missing = httpx.post(url, json={"customer_user": {"id": "c"}, "existing_link_id": str(uuid.uuid4())},
                         headers=stranger)  # fmt: skip
    assert foreign.status_code == missing.status_code == 403
    assert foreign.json() == missing.json()
    assert foreign.json()["error_code"] == "link_session_error.forbidden_config"
