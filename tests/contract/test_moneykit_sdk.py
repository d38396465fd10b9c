"""The official `moneykit` client (0.2.x) against a running gateway and a real worker, over HTTP."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date
from typing import Any

import httpx
import moneykit
import pytest
from moneykit.api import (
    AccessTokenApi,
    AccountNumbersApi,
    AccountsApi,
    IdentityApi,
    InstitutionsApi,
    InvestmentsApi,
    LinksApi,
    LinkSessionApi,
    ProductsApi,
    TransactionsApi,
)
from moneykit.exceptions import ApiException, NotFoundException, UnauthorizedException
from moneykit.models import (
    AccountResponse,
    BasicAccountDetails,
    CreateLinkSessionRequest,
    ExchangeTokenRequest,
    LinkCommon,
    RefreshProductsRequest,
    TransactionResponse,
    UpdateLinkRequest,
)

from providers.sandbox.aba import is_valid_routing_number
from tests.support.connect import ConnectPage
from tests.support.moneykit import Gateway


def test_token_and_institutions(gateway: Gateway) -> None:
    assert gateway.token.token_type == "bearer"
    assert gateway.token.expires_in == 3600
    institutions = InstitutionsApi(gateway.api).get_institutions(featured=True)
    assert {i.institution_id for i in institutions.institutions} >= {
        "credentials_bank",
        "oauth_bank",
        "instant_bank",
    }
    one = InstitutionsApi(gateway.api).get_institution("credentials_bank")
    assert one.name == "Credentials Bank"
    with pytest.raises(NotFoundException):
        InstitutionsApi(gateway.api).get_institution("no_such_bank")


def test_link_sync_across_two_refreshes(gateway: Gateway) -> None:
    exchanged = LinkSessionApi(gateway.api).exchange_token(
        ExchangeTokenRequest(exchangeable_token=gateway.sandbox_token())
    )
    link_id = exchanged.link.link_id
    assert exchanged.link_id == link_id
    assert exchanged.link.state.value in ("connected",)
    link = gateway.wait_refreshed(link_id)
    assert link.provider.value == "moneykit"

    accounts = AccountsApi(gateway.api).get_accounts(link_id)
    assert len(accounts.accounts) == 4
    assert {a.account_type for a in accounts.accounts} >= {"depository.checking", "liability.credit_card"}
    one = AccountsApi(gateway.api).get_account(link_id, accounts.accounts[0].account_id)
    assert one.account.account_id == accounts.accounts[0].account_id

    first = TransactionsApi(gateway.api).get_transactions_sync(link_id)
    assert [(t.description, t.pending) for t in first.transactions.created] == [
        ("Coffee", False),
        ("Food", True),
    ]
    assert first.transactions.updated == []
    assert first.has_more is False
    food_id = first.transactions.created[1].transaction_id
    paged = TransactionsApi(gateway.api).get_transactions(link_id, size=1)
    assert (paged.total, len(paged.transactions)) == (2, 1)

    refreshed_at = link.products.transactions.refreshed_at.isoformat()
    accepted = ProductsApi(gateway.api).refresh_products(
        link_id, RefreshProductsRequest(products=["transactions"])
    )
    assert accepted.link_id == link_id
    gateway.wait_refreshed(link_id, after=refreshed_at)

    second = TransactionsApi(gateway.api).get_transactions_sync(link_id, cursor=first.cursor.next)
    assert [(t.transaction_id, t.pending) for t in second.transactions.updated] == [(food_id, False)]
    assert [(t.description, t.pending) for t in second.transactions.created] == [
        ("Drinks", True),
        ("Taxi", False),
    ]
    again = TransactionsApi(gateway.api).get_transactions_sync(link_id, cursor=second.cursor.next)
    assert (again.transactions.created, again.transactions.updated, again.has_more) == ([], [], False)

    listed = LinksApi(gateway.api).get_links().links
    assert listed is not None
    assert link_id in {item.link_id for item in listed}
    LinksApi(gateway.api).delete_link(link_id)
    with pytest.raises(ApiException) as gone:
        AccountsApi(gateway.api).get_accounts(link_id)
    assert gone.value.status == 410
    assert json.loads(gone.value.body)["error_code"] == "link_error.deleted"
    assert LinksApi(gateway.api).get_link(link_id).state.value == "deleted"


def test_numbers_identity_and_investments(gateway: Gateway) -> None:
    link_id = (
        LinkSessionApi(gateway.api)
        .exchange_token(ExchangeTokenRequest(exchangeable_token=gateway.sandbox_token("user_2")))
        .link.link_id
    )
    gateway.wait_refreshed(link_id)

    numbers = AccountNumbersApi(gateway.api).get_account_numbers(link_id)
    ach = [n for account in numbers.accounts for n in account.numbers.ach]
    assert len(ach) == 2
    assert all(is_valid_routing_number(n.routing_number) for n in ach)

    identity = IdentityApi(gateway.api).get_identities(link_id)
    names = {name for account in identity.accounts for owner in account.owners for name in owner.names}
    assert names == {"Dana Eve Fairbanks"}  # user_2's static identity
    assert identity.accounts[0].owners[0].phone_numbers[0].type.value == "mobile"

    holdings = InvestmentsApi(gateway.api).get_holdings(link_id)
    assert len(holdings.holdings) == 3
    assert {s.ticker for s in holdings.securities} == {"VTI", "AAPL", None}
    assert [a.account_type for a in holdings.accounts] == ["investment.brokerage"]
    trades = InvestmentsApi(gateway.api).get_investment_transactions(link_id)
    assert trades.total == 2
    assert {t.type for t in trades.investment_transactions} == {"buy", "cash.dividend"}


def test_refresh_limit_and_errors(gateway: Gateway) -> None:
    link_id = (
        LinkSessionApi(gateway.api)
        .exchange_token(ExchangeTokenRequest(exchangeable_token=gateway.sandbox_token("user_good")))
        .link.link_id
    )
    gateway.wait_refreshed(link_id)
    products = ProductsApi(gateway.api)
    products.refresh_products(link_id, RefreshProductsRequest(products=["accounts", "transactions"]))
    for _ in range(2):
        products.refresh_products(link_id, RefreshProductsRequest(products=["accounts"]))
    with pytest.raises(ApiException) as limited:
        products.refresh_products(link_id, RefreshProductsRequest(products=["accounts"]))
    assert limited.value.status == 429
    assert json.loads(limited.value.body)["error_code"] == "api_error.rate_limit_exceeded"
    assert "accounts" in json.loads(limited.value.body)["error_message"]
    assert 86_000 < int(limited.value.headers["Retry-After"]) <= 86_400  # the first of the three expires
    # The limit is per product: transactions were asked for once, so two more are allowed, and a request
    # naming an exhausted product is refused whole.
    with pytest.raises(ApiException) as mixed:
        products.refresh_products(link_id, RefreshProductsRequest(products=["transactions", "accounts"]))
    assert mixed.value.status == 429
    for _ in range(2):
        products.refresh_products(link_id, RefreshProductsRequest(products=["transactions"]))
    with pytest.raises(ApiException):
        products.refresh_products(link_id, RefreshProductsRequest(products=["transactions"]))

    with pytest.raises(NotFoundException):
        LinksApi(gateway.api).get_link(str(uuid.uuid4()))
    with pytest.raises(ApiException) as reused:
        LinkSessionApi(gateway.api).exchange_token(ExchangeTokenRequest(exchangeable_token="ext-not-a-token"))
    assert reused.value.status == 400
    expired = moneykit.ApiClient(
        moneykit.Configuration(host=f"{gateway.base_url}/v1/moneykit", access_token="nope")
    )
    with pytest.raises(UnauthorizedException):
        LinksApi(expired).get_links()


def test_introspection_and_keys_under_the_collection(gateway: Gateway) -> None:
    client = AccessTokenApi(gateway.api).instrospect_client()
    assert client.client_id == gateway.client_id
    assert (client.client_name, client.app.app_id, client.app.name) == ("server", gateway.app_id, "App")
    assert set(client.scope.split()) >= {"data:read", "links:write"}
    assert client.disabled_at is None
    other = gateway.other_tenant
    assert other is not None
    theirs = AccessTokenApi(other.api).instrospect_client()
    assert (theirs.client_id, theirs.app.app_id) == (other.client_id, other.app_id)
    nobody = moneykit.ApiClient(
        moneykit.Configuration(host=f"{gateway.base_url}/v1/moneykit", access_token="not-a-token")
    )
    with pytest.raises(UnauthorizedException):
        AccessTokenApi(nobody).instrospect_client()

    keys = AccessTokenApi(gateway.api).get_well_known_jwks()
    assert keys.to_dict() == httpx.get(f"{gateway.base_url}/.well-known/jwks.json").json()  # the same keys
    kid = json.loads(base64.urlsafe_b64decode(gateway.token.access_token.split(".")[0] + "=="))["kid"]
    assert kid in {key["kid"] for key in keys.to_dict()["keys"]}


def test_version_header_is_negotiated(gateway: Gateway) -> None:
    headers = {"authorization": f"Bearer {gateway.token.access_token}"}
    ok = httpx.get(
        f"{gateway.base_url}/v1/moneykit/links", headers=headers | {"MoneyKit-Version": "2023-02-18"}
    )
    assert ok.headers["moneykit-version"] == "2023-02-18"
    unknown = httpx.get(
        f"{gateway.base_url}/v1/moneykit/links", headers=headers | {"MoneyKit-Version": "2030-01-01"}
    )
    assert unknown.status_code == 400
    assert unknown.headers["moneykit-version"] == "2023-02-18"


def test_update_reset_and_users(gateway: Gateway) -> None:
    customer = f"cust-{uuid.uuid4().hex[:6]}"
    link_id = (
        LinkSessionApi(gateway.api)
        .exchange_token(
            ExchangeTokenRequest(exchangeable_token=gateway.sandbox_token("user_1", customer=customer))
        )
        .link.link_id
    )
    gateway.wait_refreshed(link_id)

    updated = LinksApi(gateway.api).update_link(
        link_id, UpdateLinkRequest(webhook="http://127.0.0.1:9/hooks", tags=["vip", "vip", "beta"])
    )
    assert (updated.webhook, updated.tags) == ("http://127.0.0.1:9/hooks", ["vip", "beta"])
    # The client drops None fields, so removing the webhook (`"webhook": null`) is sent by hand.
    cleared = httpx.patch(f"{gateway.base_url}/v1/moneykit/links/{link_id}", json={"webhook": None},
                          headers={"authorization": f"Bearer {gateway.token.access_token}"})  # fmt: skip
    assert cleared.status_code == 200
    assert "webhook" not in cleared.json()
    assert cleared.json()["tags"] == ["vip", "beta"]

    # moneykit 0.2.3 cannot parse any /users/{id}/* answer: its generated from_dict validates `{}`
    # against the required map field. So these go over HTTP, with every nested object checked by
    # the client's own models.
    links = gateway.get(f"/users/{customer}/links")
    assert list(links["links"]) == [link_id]
    assert LinkCommon.from_dict(links["links"][link_id]).link_id == link_id
    accounts = gateway.get(f"/users/{customer}/accounts")
    assert len(accounts["links"][link_id]["accounts"]) == 4
    assert all(AccountResponse.from_dict(a) for a in accounts["links"][link_id]["accounts"])
    transactions = gateway.get(f"/users/{customer}/transactions")
    assert transactions["total"] == 2
    newest_first = [TransactionResponse.from_dict(t).description for t in transactions["transactions"]]
    assert newest_first == ["Food", "Coffee"]
    assert set(transactions["accounts"]) >= {t["account_id"] for t in transactions["transactions"]}
    named = [BasicAccountDetails.from_dict(a) for a in transactions["accounts"].values()]
    assert {(a.link_id, a.institution_id) for a in named} == {(link_id, "credentials_bank")}
    assert "balances" not in json.dumps(transactions["accounts"])  # names, not whole accounts
    assert gateway.get("/users/nobody/links") == {"links": {}}

    reset = LinksApi(gateway.api).reset_link(link_id)
    assert reset.error_code is not None
    assert (reset.state.value, reset.error_code.value) == ("error", "auth_expired")
    with pytest.raises(ApiException) as stale:
        ProductsApi(gateway.api).refresh_products(link_id, RefreshProductsRequest(products=["accounts"]))
    assert stale.value.status == 422
    assert json.loads(stale.value.body)["link_error_code"] == "auth_expired"


def test_another_tenants_link_answers_like_a_missing_one(gateway: Gateway) -> None:
    assert gateway.other_tenant is not None
    link_id = (
        LinkSessionApi(gateway.api)
        .exchange_token(ExchangeTokenRequest(exchangeable_token=gateway.sandbox_token()))
        .link.link_id
    )
    stranger = {"authorization": f"Bearer {gateway.other_tenant.token.access_token}"}
    base, missing = f"{gateway.base_url}/v1/moneykit/links", str(uuid.uuid4())
    not_found = {
        "error_code": "link_error.not_found",
        "error_message": "Link not found.",
        "documentation_url": None,
    }
    paths = ["", "/accounts", "/accounts/numbers", "/identity", "/transactions", "/transactions/sync",
             "/investments/holdings", "/investments/transactions"]  # fmt: skip
    for suffix in paths:
        foreign = httpx.get(f"{base}/{link_id}{suffix}", headers=stranger)
        absent = httpx.get(f"{base}/{missing}{suffix}", headers=stranger)
        assert foreign.status_code == absent.status_code == 404, suffix
        assert foreign.json() == absent.json() == not_found
    writes = [("PATCH", "", {"tags": ["x"]}), ("DELETE", "", None), ("POST", "/reset", None),
              ("POST", "/products", {"products": ["accounts"]})]  # fmt: skip
    for method, suffix, body in writes:
        foreign = httpx.request(method, f"{base}/{link_id}{suffix}", json=body, headers=stranger)
        assert foreign.status_code == 404, (method, suffix)
        assert foreign.json() == not_found
    assert LinksApi(gateway.api).get_link(link_id).state.value == "connected"  # untouched


def import_body(customer: str, transactions: int, account: str = "acc-1") -> dict[str, Any]:
    return {
        "customer_user": {"id": customer},
        "institution_id": "chase",
        "accounts": [
            {"account_id": "acc-1", "name": "Premier Checking", "type": "depository.checking", "mask": "3748",
             "balances": {"currency": "USD", "available": 340.12, "current": 445.89, "limit": 500,
                          "balance_date": "2021-08-12T15:23:00Z"}},
            {"account_id": "acc-2", "name": "Card", "type": "liability.credit_card",
             "balances": {"current": 12.5}},
        ],
        "transactions": [
            {"account_id": account if n == 0 else "acc-1", "transaction_id": f"t-{n}",
             "amount": "-4.50" if n % 2 else "1200.00", "date": f"2022-02-{1 + n % 27:02d}",
             "description": "Regina's Mulberry", "type": "food_and_drinks.restaurants"}
            for n in range(transactions)
        ],
    }  # fmt: skip


def post_import(gateway: Gateway, content: bytes) -> httpx.Response:
    return httpx.post(
        f"{gateway.base_url}/v1/moneykit/links/import", content=content,
        headers={"authorization": f"Bearer {gateway.token.access_token}", "content-type": "application/json"},
    )  # fmt: skip


def test_import_a_link_and_more_transactions(gateway: Gateway) -> None:
    customer = f"imp-{uuid.uuid4().hex[:6]}"
    # moneykit 0.2.3 cannot send an import: its date union serialises `date` objects json.dumps rejects.
    response = post_import(gateway, json.dumps(import_body(customer, 3)).encode())
    assert response.status_code == 200, response.text
    link = LinkCommon.from_dict(response.json())
    assert (link.state.value, link.error_code.value if link.error_code else None) == ("error", "auth_expired")
    assert link.institution_id == "chase"
    transactions = TransactionsApi(gateway.api).get_transactions(link.link_id, start_date=date(2022, 1, 1))
    assert sorted((t.amount, t.type.value) for t in transactions.transactions) == [
        ("1200.00", "credit"), ("1200.00", "credit"), ("4.50", "debit"),
    ]  # fmt: skip
    accounts = AccountsApi(gateway.api).get_accounts(link.link_id)
    balances = {a.name: a.balances.current for a in accounts.accounts}
    assert balances == {"Premier Checking": 445.89, "Card": 12.5}
    assert "chase" not in {
        i.institution_id for i in InstitutionsApi(gateway.api).get_institutions().institutions
    }

    more = {
        "transactions": [
            {"account_id": "acc-2", "transaction_id": "t-new", "amount": "-9.99", "date": "2022-03-01"}
        ]
    }
    response = httpx.post(
        f"{gateway.base_url}/v1/moneykit/links/{link.link_id}/import/transactions", json=more,
        headers={"authorization": f"Bearer {gateway.token.access_token}"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    synced = TransactionsApi(gateway.api).get_transactions_sync(link.link_id)
    assert len(synced.transactions.created) == 4


def test_bad_imports_store_nothing(gateway: Gateway) -> None:
    customer = f"bad-{uuid.uuid4().hex[:6]}"
    unknown = post_import(gateway, json.dumps(import_body(customer, 3, account="acc-9")).encode())
    assert unknown.status_code == 400
    assert unknown.json()["error_code"] == "api_error.request.validation_failed"
    assert "acc-9" in unknown.json()["error_message"]
    assert unknown.json()["validation_errors"][0]["location"] == ["body", "transactions.0.account_id"]
    assert gateway.get(f"/users/{customer}/links") == {"links": {}}


def test_the_one_megabyte_edge(gateway: Gateway) -> None:
    limit = 1024 * 1024
    customer = f"edge-{uuid.uuid4().hex[:6]}"
    body = json.dumps(import_body(customer, 4000)).encode()
    assert len(body) < limit  # about 4000 transactions fit, as the seed says
    exact = body + b" " * (limit - len(body))  # JSON allows trailing whitespace
    accepted = post_import(gateway, exact)
    assert accepted.status_code == 200, accepted.text[:300]
    assert len(gateway.get(f"/users/{customer}/links")["links"]) == 1

    other = f"over-{uuid.uuid4().hex[:6]}"
    over = post_import(gateway, json.dumps(import_body(other, 4000)).encode().ljust(limit + 1))
    assert over.status_code == 413
    assert over.json()["error_code"] == "api_error.request.payload_too_large"
    assert gateway.get(f"/users/{other}/links") == {"links": {}}


def new_session(gateway: Gateway, customer: str, **extra: Any) -> str:
    request = CreateLinkSessionRequest.from_dict(
        {"customer_user": {"id": customer}, "redirect_uri": "https://app.example/linked",
         "settings": {"products": {"transactions": {"prefetch": True}}}, **extra}
    )  # fmt: skip
    token: str = LinkSessionApi(gateway.api).create_link_session(request).link_session_token
    return token


def test_connect_flow_with_mfa_account_grants_and_relink(gateway: Gateway) -> None:
    customer = f"conn-{uuid.uuid4().hex[:6]}"
    page = ConnectPage(gateway.base_url, new_session(gateway, customer))
    assert page.step()["state"] == "created"
    assert (
        page.step("/institution", {"institution_id": "credentials_bank"})["state"] == "institution_selected"
    )
    wrong_password = page.step(
        "/credentials", {"credentials": {"username": "user_good", "password": "nope"}}, 400
    )
    assert wrong_password["error"]["code"] == "invalid_credentials"
    challenged = page.step(
        "/credentials", {"credentials": {"username": "user_good", "password": "mfa_device"}}
    )
    assert challenged["state"] == "mfa_required"
    assert "1234" in challenged["challenge"]["prompts"][0]["text"]
    assert "pending" not in json.dumps(challenged)  # the sealed provider state never leaves the server
    assert page.step("/mfa", {"answers": {"code": "0000"}}, 400)["error"]["code"] == "user_input_incorrect"
    choosing = page.step("/mfa", {"answers": {"code": "1234"}})
    assert choosing["state"] == "choosing_accounts"
    offered = {a["type"]: a["id"] for a in choosing["accounts"]}
    assert page.step("/accounts", {"account_ids": ["not-offered"]}, 400)
    done = page.step("/accounts", {"account_ids": [offered["depository.checking"]]})
    assert done["state"] == "completed"
    page.step("", status=401)  # single use

    link = LinkSessionApi(gateway.api).exchange_token(
        ExchangeTokenRequest(exchangeable_token=done["exchangeable_token"])
    )
    link_id = link.link.link_id
    gateway.wait_refreshed(link_id)
    accounts = AccountsApi(gateway.api).get_accounts(link_id).accounts
    assert [a.account_type for a in accounts] == ["depository.checking"]  # only the granted account
    transactions = TransactionsApi(gateway.api).get_transactions(link_id, size=1000).transactions
    assert {t.account_id for t in transactions} == {accounts[0].account_id}

    LinksApi(gateway.api).reset_link(link_id)
    relink = ConnectPage(gateway.base_url, new_session(gateway, customer, existing_link_id=link_id))
    assert relink.step()["state"] == "institution_selected"  # straight to the link's institution
    chosen = relink.step("/credentials", {"credentials": {"username": "user_good", "password": "pass_good"}})
    finished = relink.step("/accounts", {"account_ids": [a["id"] for a in chosen["accounts"]]})
    again = LinkSessionApi(gateway.api).exchange_token(
        ExchangeTokenRequest(exchangeable_token=finished["exchangeable_token"])
    )
    assert again.link.link_id == link_id
    assert again.link.state.value == "connected"
    assert again.link.error_code is None


def test_connect_steps_refuse_requests_without_the_pages_csrf_token(gateway: Gateway) -> None:
    token = new_session(gateway, f"csrf-{uuid.uuid4().hex[:6]}")
    page = ConnectPage(gateway.base_url, token)
    shell = httpx.get(f"{gateway.base_url}/connect", params={"link_session_token": token})
    assert f'data-csrf="{page.csrf}"' in shell.text  # the server renders the token into the page
    other = ConnectPage(gateway.base_url, new_session(gateway, f"csrf-{uuid.uuid4().hex[:6]}"))
    choice = {"institution_id": "credentials_bank"}
    forged = [
        {},  # no token
        {"X-CSRF-Token": "not-the-token"},
        {"X-CSRF-Token": other.csrf},  # another session's token
        {"X-CSRF-Token": page.csrf, "Sec-Fetch-Site": "cross-site"},
    ]
    for extra in forged:
        for path, body in [("/institution", choice), ("/cancel", None)]:
            refused = httpx.post(page.base + path, json=body, headers=page.headers | extra)
            assert refused.status_code == 403, (extra, path)
            assert refused.json()["error"]["code"] == "csrf_failed"
    assert page.step()["state"] == "created"  # nothing moved
    assert page.step("/institution", choice)["state"] == "institution_selected"


def test_link_session_bad_input(gateway: Gateway) -> None:
    other_customer = f"other-{uuid.uuid4().hex[:6]}"
    link_id = (
        LinkSessionApi(gateway.api)
        .exchange_token(ExchangeTokenRequest(exchangeable_token=gateway.sandbox_token()))
        .link.link_id
    )
    headers = {"authorization": f"Bearer {gateway.token.access_token}"}
    base = f"{gateway.base_url}/v1/moneykit/link-session"
    foreign = httpx.post(base, json={"customer_user": {"id": other_customer}, "existing_link_id": link_id},
                         headers=headers)  # fmt: skip
    assert foreign.status_code == 403
    assert foreign.json()["error_code"] == "link_session_error.forbidden_config"
    # create_link_session declares 403 forbidden_config for everything it refuses.
    unknown = httpx.post(
        base, json={"customer_user": {"id": other_customer}, "institution_id": "nope"}, headers=headers
    )
    assert unknown.status_code == 403
    assert unknown.json()["error_code"] == "link_session_error.forbidden_config"
    missing_user = httpx.post(base, json={"redirect_uri": "https://app.example/x"}, headers=headers)
    assert missing_user.status_code == 403
    assert missing_user.json()["error_code"] == "link_session_error.forbidden_config"
    assert missing_user.json()["validation_errors"][0]["location"] == ["body", "customer_user"]
    assert (
        httpx.get(
            f"{gateway.base_url}/connect/api/session", headers={"Link-Session-Token": "lst-nope"}
        ).status_code
        == 401
    )
