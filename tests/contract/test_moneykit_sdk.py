"""The official `moneykit` client (0.2.x) against a running gateway and a real worker, over HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
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
from moneykit.models import ExchangeTokenRequest, RefreshProductsRequest

from providers.sandbox.aba import is_valid_routing_number
from tests.support.processes import PROJECT_ROOT, LinkgateProcess, free_port, wait_for_http, wait_until


class Gateway:
    def __init__(self, base_url: str, credentials: dict[str, str]) -> None:
        self.base_url = base_url
        self.client_id, self.client_secret = credentials["client_id"], credentials["client_secret"]
        self.api = moneykit.ApiClient(moneykit.Configuration(host=f"{base_url}/v1/moneykit"))
        token = AccessTokenApi(self.api).create_access_token(
            grant_type="client_credentials", client_id=self.client_id, client_secret=self.client_secret
        )
        self.api.configuration.access_token = token.access_token
        self.token = token

    def sandbox_token(self, username: str = "user_1", customer: str | None = None) -> str:
        response = httpx.post(
            f"{self.base_url}/v1/moneykit/sandbox/exchangeable-token",
            json={"institution_id": "credentials_bank", "customer_user": {"id": customer or uuid.uuid4().hex},
                  "username": username, "password": "pass_good"},
            headers={"authorization": f"Bearer {self.token.access_token}"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        token: str = response.json()["exchangeable_token"]
        return token

    def wait_refreshed(self, link_id: str, after: str | None = None) -> Any:
        def refreshed() -> bool:
            transactions = LinksApi(self.api).get_link(link_id).products.transactions
            return transactions is not None and transactions.refreshed_at is not None and (
                after is None or transactions.refreshed_at.isoformat() > after
            )  # fmt: skip

        wait_until(refreshed, timeout_s=30, what=f"link {link_id} to refresh")
        return LinksApi(self.api).get_link(link_id)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    import os

    from tests.conftest import TEST_ENVIRONMENT

    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")} | TEST_ENVIRONMENT
    env |= {"LINKGATE_SANDBOX_REFRESHES_PER_DAY": "3", "PYTHONUNBUFFERED": "1"}
    logs = Path(tmp_path_factory.mktemp("moneykit"))
    boot = LinkgateProcess(["bootstrap", "--json", "--email", f"mk-{uuid.uuid4().hex[:6]}@example.com"], env,
                           PROJECT_ROOT, logs / "bootstrap.log")  # fmt: skip
    assert boot.process.wait(timeout=60) == 0, boot.output()
    credentials = json.loads(boot.output().strip().splitlines()[-1])
    port = free_port()
    server = LinkgateProcess(["serve", "--port", str(port)], env, PROJECT_ROOT, logs / "serve.log")
    worker = LinkgateProcess(["worker", "--concurrency", "2"], env, PROJECT_ROOT, logs / "worker.log")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/readyz", process=server)
        wait_until(lambda: " ready." in worker.output(), timeout_s=30, what="the worker")
        yield Gateway(f"http://127.0.0.1:{port}", credentials)
    finally:
        server.stop()
        worker.stop()


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
    for _ in range(3):
        ProductsApi(gateway.api).refresh_products(link_id, RefreshProductsRequest(products=["accounts"]))
    with pytest.raises(ApiException) as limited:
        ProductsApi(gateway.api).refresh_products(link_id, RefreshProductsRequest(products=["accounts"]))
    assert limited.value.status == 429
    assert json.loads(limited.value.body)["error_code"] == "api_error.rate_limit_exceeded"

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
