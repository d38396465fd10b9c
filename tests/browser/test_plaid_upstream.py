"""Plaid as an upstream, in Debian's chromium: Connect opens (the fake) Plaid Link for a Plaid-routed bank,
and the Item it makes is read back in all four formats: the official MoneyKit, MX and Plaid clients, and
Yodlee over plain HTTP (it has no maintained official Python client).

The gateway (server and worker processes) is pointed at the fake Plaid (tests/fakes/plaid) by the same
settings an operator uses for Plaid itself; only the URLs differ."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from moneykit.api.accounts_api import AccountsApi
from moneykit.api.links_api import LinksApi
from moneykit.api.products_api import ProductsApi
from moneykit.api.transactions_api import TransactionsApi
from moneykit.models.refresh_products_request import RefreshProductsRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from playwright.sync_api import Page, expect

from tests.conftest import REDIS_DB, REDIS_PORT
from tests.fakes.plaid import DEFAULT_CREDENTIALS, PlaidState, RunningPlaid, running_plaid
from tests.support.moneykit import Gateway, running_gateway
from tests.support.mx_venv import mx_python, run_client
from tests.support.plaid import plaid_client
from tests.support.processes import wait_until
from tests.support.yodlee import Yodlee, all_time

READ_USERS = Path(__file__).parents[1] / "contract" / "mx_client" / "read_users.py"
PLATYPUS = "ins_109508"
OAUTH_PLATYPUS = "ins_127287"


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningPlaid]:
    with running_plaid(PlaidState()) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(upstream: RunningPlaid, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway of its own: the operator's Plaid keys, Plaid's host and Link script at the fake. Its
    worker takes tasks from a Redis database of its own: the package's gateway's worker (no Plaid) must
    not run its refreshes."""
    client_id, secret = DEFAULT_CREDENTIALS
    broker = f"redis://127.0.0.1:{REDIS_PORT}/{(REDIS_DB + 1) % 16}"
    with redis.Redis.from_url(broker) as client:
        client.flushdb()
    settings = {
        "LINKGATE_REDIS_URL": broker,
        "LINKGATE_PLAID_CLIENT_ID": client_id, "LINKGATE_PLAID_SECRET": secret,
        "LINKGATE_PLAID_BASE_URL": upstream.base_url,
        "LINKGATE_PLAID_LINK_SCRIPT_URL": upstream.state.link_script_url,
    }  # fmt: skip
    yield from running_gateway(Path(tmp_path_factory.mktemp("plaid-upstream")), extra_env=settings)


def link_through_plaid(page: Page, gateway: Gateway, token: str, shots: Path) -> str:
    """Connect at `token`'s session: find the bank, open Plaid Link, pick it there and continue, share
    every account; returns the exchangeable (or public) token the page hands the app."""
    page.goto(f"{gateway.base_url}/connect?link_session_token={token}")
    expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
    page.get_by_label("Search for your bank").fill("Platypus")
    # The sandbox has a First Platypus Bank of its own: take the one Plaid's search found.
    page.locator(f'[data-institution="plaid_{PLATYPUS}"]').click()
    page.get_by_role("button", name="Continue to First Platypus Bank").click()
    link = page.frame_locator('iframe[title="Plaid Link"]')
    expect(link.get_by_role("dialog")).to_be_visible()
    page.screenshot(path=shots / "plaid-link.png")
    link.locator(f'[data-institution-id="{PLATYPUS}"]').click()
    link.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    expect(page.locator('iframe[title="Plaid Link"]')).to_have_count(0)
    page.screenshot(path=shots / "accounts.png")
    page.get_by_role("button", name="Share selected accounts").click()
    page.wait_for_url(lambda url: "/healthz?" in url)
    query = parse_qs(urlsplit(page.url).query)
    return (query.get("exchangeable_token") or query["public_token"])[0]


def test_connect_links_through_plaid_link_and_the_item_reads_in_moneykit_and_plaid(
    gateway: Gateway, upstream: RunningPlaid, page: Page, screenshots: Path
) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    body = {"customer_user": {"id": uuid.uuid4().hex}, "redirect_uri": f"{gateway.base_url}/healthz"}
    created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers, json=body)
    assert created.status_code == 201, created.text
    exchangeable = link_through_plaid(page, gateway, created.json()["link_session_token"], screenshots)
    exchanged = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
                           json={"exchangeable_token": exchangeable}, headers=gateway.headers)  # fmt: skip
    assert exchanged.status_code == 201, exchanged.text
    link_id = exchanged.json()["link_id"]
    gateway.wait_refreshed(link_id)

    item_id = upstream.state.items()[-1].item_id
    upstream_transactions = upstream.state.transactions(item_id)
    names = sorted(str(a.name) for a in AccountsApi(gateway.api).get_accounts(link_id).accounts)
    assert names == sorted(a.spec.name for a in upstream.state.item(item_id).accounts.values())
    assert len(upstream_transactions) < 100  # one page shows them all
    listed = TransactionsApi(gateway.api).get_transactions(link_id, size=100).transactions
    descriptions = sorted(t.name for t in upstream_transactions)
    assert sorted(str(t.description) for t in listed) == descriptions
    assert violations == []

    # MX with its official client (in its own venv), Yodlee over plain HTTP (it has no official client).
    users = run_client(mx_python(), READ_USERS, gateway.base_url, gateway.client_id, gateway.client_secret)
    guid, seen = next((guid, u) for guid, u in users.items() if u["accounts"] == names)
    assert seen["transactions"] == descriptions
    yodlee = Yodlee(gateway)
    user_token = yodlee.token(guid)
    found = yodlee.ok("GET", "/transactions", user_token, params=all_time() | {"top": "500"})
    assert sorted(t["description"]["original"] for t in found["transaction"]) == descriptions
    # The bank Plaid reaches is a Yodlee provider too, under one id everywhere.
    providers = yodlee.ok("GET", "/providers", yodlee.admin, params={"name": "First Platypus Bank"})[
        "provider"
    ]
    numbers = {p["id"] for p in providers if p["name"] == "First Platypus Bank"}
    accounts = yodlee.ok("GET", "/accounts", user_token)["account"]
    assert {a["providerId"] for a in accounts} == {str(n) for n in numbers}  # Yodlee writes it as a string
    assert all(number > 1_000_000 for number in numbers)

    # A Plaid app links the same way through Linkgate's Plaid collection and reads with plaid-python.
    client = plaid_client(gateway)
    made = httpx.post(f"{gateway.base_url}/v1/plaid/link/token/create", json={
        "client_id": gateway.client_id, "secret": gateway.client_secret, "client_name": "App",
        "language": "en", "country_codes": ["US"], "user": {"client_user_id": uuid.uuid4().hex},
        "products": ["transactions"], "redirect_uri": f"{gateway.base_url}/healthz",
    })  # fmt: skip
    assert made.status_code == 200, made.text
    public_token = link_through_plaid(page, gateway, made.json()["link_token"], screenshots)
    access_token = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public_token)
    ).access_token
    second_item = upstream.state.items()[-1].item_id
    expected = {t.name for t in upstream.state.transactions(second_item)}

    def synced() -> list[Any]:
        return list(client.transactions_sync(TransactionsSyncRequest(access_token=access_token)).added)

    wait_until(lambda: len(synced()) == len(expected), timeout_s=30, what="the Plaid app's first refresh")
    assert {str(t.name) for t in synced()} == expected
    assert upstream.state.violations == []


def test_an_oauth_bank_inside_plaid_link_comes_back_through_connects_callback(
    gateway: Gateway, upstream: RunningPlaid, page: Page, screenshots: Path
) -> None:
    body = {"customer_user": {"id": uuid.uuid4().hex}, "redirect_uri": f"{gateway.base_url}/healthz"}
    created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers, json=body)
    assert created.status_code == 201, created.text
    page.goto(f"{gateway.base_url}/connect?link_session_token={created.json()['link_session_token']}")
    page.get_by_label("Search for your bank").fill("Platypus OAuth")
    page.locator(f'[data-institution="plaid_{OAUTH_PLATYPUS}"]').click()
    page.get_by_role("button", name="Continue to Platypus OAuth Bank").click()
    link = page.frame_locator('iframe[title="Plaid Link"]')
    link.locator(f'[data-institution-id="{OAUTH_PLATYPUS}"]').click()
    link.get_by_role("button", name="Continue").click()
    # The bank's page is the fake's redirect straight back to Connect's callback with `oauth_state_id`,
    # where Link resumes and Connect continues with the accounts.
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    page.screenshot(path=screenshots / "oauth-accounts.png")
    assert any(
        t.redirect_uri == f"{gateway.base_url}/connect/callback/plaid" for t in upstream.state.link_tokens
    )
    page.get_by_role("button", name="Share selected accounts").click()
    page.wait_for_url(lambda url: "/healthz?" in url)
    exchangeable = parse_qs(urlsplit(page.url).query)["exchangeable_token"][0]
    exchanged = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
                           json={"exchangeable_token": exchangeable}, headers=gateway.headers)  # fmt: skip
    assert exchanged.status_code == 201, exchanged.text
    gateway.wait_refreshed(exchanged.json()["link_id"])
    assert upstream.state.items()[-1].institution_id == OAUTH_PLATYPUS


def test_a_link_whose_item_needs_its_login_again_is_repaired_in_link_update_mode(
    gateway: Gateway, upstream: RunningPlaid, page: Page, screenshots: Path
) -> None:
    customer = uuid.uuid4().hex
    body = {"customer_user": {"id": customer}, "redirect_uri": f"{gateway.base_url}/healthz"}
    created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers, json=body)
    exchangeable = link_through_plaid(page, gateway, created.json()["link_session_token"], screenshots)
    link_id = exchange(gateway, exchangeable)
    link = gateway.wait_refreshed(link_id)

    item_id = upstream.state.items()[-1].item_id
    upstream.state.require_login(item_id)
    ProductsApi(gateway.api).refresh_products(link_id, RefreshProductsRequest(products=["transactions"]))
    wait_until(lambda: LinksApi(gateway.api).get_link(link_id).state.value == "error", timeout_s=30,
               what="the link to need its user")  # fmt: skip

    relink = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers,
                        json=body | {"existing_link_id": link_id})  # fmt: skip
    assert relink.status_code == 201, relink.text
    page.goto(f"{gateway.base_url}/connect?link_session_token={relink.json()['link_session_token']}")
    page.get_by_role("button", name="Continue to First Platypus Bank").click()
    frame = page.frame_locator('iframe[title="Plaid Link"]')
    frame.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    page.get_by_role("button", name="Share selected accounts").click()
    page.wait_for_url(lambda url: "/healthz?" in url)
    assert exchange(gateway, parse_qs(urlsplit(page.url).query)["exchangeable_token"][0]) == link_id
    wait_until(lambda: LinksApi(gateway.api).get_link(link_id).state.value == "connected", timeout_s=30,
               what="the link to connect again")  # fmt: skip
    assert [t.update_item_id for t in upstream.state.link_tokens][-1] == item_id  # update mode, same Item
    assert link.institution_name == "First Platypus Bank"


def exchange(gateway: Gateway, exchangeable: str) -> str:
    exchanged = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
                           json={"exchangeable_token": exchangeable}, headers=gateway.headers)  # fmt: skip
    assert exchanged.status_code == 201, exchanged.text
    link_id: str = exchanged.json()["link_id"]
    return link_id
