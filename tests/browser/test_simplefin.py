"""SimpleFIN Bridge end to end: an end user pastes a setup token from the fake Bridge into Connect, the
app reads the link with the official MoneyKit and Plaid clients, a pending transaction posts under a new
id, the Bridge revokes the access, and a new setup token repairs the same link.

Linkgate reaches the fake through the settings an operator uses for the real Bridge
(`LINKGATE_SIMPLEFIN_ALLOWED_HOSTS`, see tests/conftest.py); only the URL differs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import plaid
import pytest
from moneykit.api import LinksApi, ProductsApi, TransactionsApi
from moneykit.models.refresh_products_request import RefreshProductsRequest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from playwright.sync_api import Page, expect

from tests.fakes.simplefin import BridgeState, FakeClock, RunningBridge, running_bridge
from tests.support.moneykit import Gateway
from tests.support.processes import wait_until
from tests.support.receiver import WebhookReceiver

DAY = 86_400


@pytest.fixture(scope="module")
def bridge() -> Iterator[RunningBridge]:
    with running_bridge(BridgeState(clock=FakeClock(int(time.time())))) as running:
        yield running


@pytest.fixture
def bank(bridge: RunningBridge) -> BridgeState:
    """One connection at My Bank: a checking account with a posted coffee and a pending grocery bill."""
    state, now = bridge.state, int(time.time())
    state.reset()
    state.clock.set(now)
    state.add_connection("CON-1", name="My Bank (Jill)", org_id="ORG-MYBANK", org_name="My Bank")
    state.add_account("ACT-1", conn_id="CON-1", name="Everyday Checking 4321", balance="1200.00")
    state.add_account("ACT-2", conn_id="CON-1", name="Rewards Visa Card 9876", balance="-80.00")
    state.add_transaction("ACT-1", "TRN-COFFEE", posted=now - 3 * DAY, amount="-4.50", description="COFFEE",
                          payee="Corner Coffee")  # fmt: skip
    state.add_pending("ACT-1", "TRN-GROCER", transacted_at=now - 3600, amount="-20.00", description="GROCER")
    return state


def link_through_connect(
    page: Page, gateway: Gateway, token: str, setup_token: str, shots: Path, *, relink: bool = False
) -> str:
    """Connect at `token`'s session: find SimpleFIN (a relink starts at its bank), paste the setup token,
    share every account; returns the exchangeable (or public) token the page hands the app."""
    page.goto(f"{gateway.base_url}/connect?link_session_token={token}")
    if relink:
        expect(page.get_by_role("heading", name="Connect My Bank")).to_be_visible()
    else:
        expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
        page.get_by_label("Search for your bank").fill("SimpleFIN")
        page.get_by_role("button", name="SimpleFIN Bridge").click()
    expect(page.get_by_label("Setup token")).to_be_visible()
    page.screenshot(path=shots / "setup-token.png")
    page.get_by_label("Setup token").fill(setup_token)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    expect(page.get_by_text("Everyday Checking 4321")).to_be_visible()
    page.screenshot(path=shots / "accounts.png")
    page.get_by_role("button", name="Share selected accounts").click()
    page.wait_for_url(lambda url: "/healthz?" in url)
    query = parse_qs(urlsplit(page.url).query)
    return (query.get("exchangeable_token") or query["public_token"])[0]


def moneykit_session(gateway: Gateway, customer: str | None = None, **settings: Any) -> str:
    body = {
        "customer_user": {"id": customer or uuid.uuid4().hex},
        "redirect_uri": f"{gateway.base_url}/healthz",
        **settings,
    }
    created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers, json=body)
    assert created.status_code == 201, created.text
    token: str = created.json()["link_session_token"]
    return token


def exchange(gateway: Gateway, exchangeable: str) -> str:
    exchanged = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
                           json={"exchangeable_token": exchangeable}, headers=gateway.headers)  # fmt: skip
    assert exchanged.status_code == 201, exchanged.text
    link_id: str = exchanged.json()["link_id"]
    return link_id


def test_bad_setup_tokens_are_explained_and_nothing_is_stored(
    gateway: Gateway, page: Page, bank: BridgeState, screenshots: Path
) -> None:
    def link_count() -> int:
        listed = httpx.get(f"{gateway.base_url}/v1/moneykit/links", headers=gateway.headers)
        return len(listed.json()["links"])

    before = link_count()
    token = moneykit_session(gateway)
    page.goto(f"{gateway.base_url}/connect?link_session_token={token}")
    page.get_by_label("Search for your bank").fill("simplefin")
    page.get_by_role("button", name="SimpleFIN Bridge").click()
    page.get_by_label("Setup token").fill("this is not a token")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("not a SimpleFIN setup token")
    used = bank.mint_setup_token()
    httpx.post(used.claim_url).raise_for_status()  # someone else claimed it first
    page.get_by_label("Setup token").fill(used.token)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")
    page.screenshot(path=screenshots / "claimed-token.png")
    session = httpx.get(f"{gateway.base_url}/connect/api/session", headers={"link-session-token": token})
    assert (session.json()["state"], session.json()["accounts"]) == ("institution_selected", None)
    assert link_count() == before


def test_a_simplefin_link_from_token_to_reconnect(
    gateway: Gateway, page: Page, bank: BridgeState, screenshots: Path
) -> None:
    customer = uuid.uuid4().hex
    link_id = exchange(gateway, link_through_connect(
        page, gateway, moneykit_session(gateway, customer), bank.mint_setup_token().token, screenshots
    ))  # fmt: skip
    link = gateway.wait_refreshed(link_id)
    assert (link.institution_name, link.state.value) == ("My Bank", "connected")
    accounts = {a["name"]: a for a in gateway.get(f"/links/{link_id}/accounts")["accounts"]}
    assert accounts["Everyday Checking 4321"]["balances"]["current"] == 1200.0
    assert accounts["Rewards Visa Card 9876"]["account_type"] == "liability.credit_card"
    first = TransactionsApi(gateway.api).get_transactions_sync(link_id)
    assert sorted((t.description, t.pending) for t in first.transactions.created) == [
        ("COFFEE", False), ("GROCER", True)
    ]  # fmt: skip

    # The grocery bill posts under a new id: one posted transaction, the pending one removed.
    bank.post_pending("ACT-1", "TRN-GROCER", posted=int(time.time()), new_id="TRN-GROCER-POSTED")
    refreshed_at = link.products.transactions.refreshed_at.isoformat()
    ProductsApi(gateway.api).refresh_products(link_id, RefreshProductsRequest(products=["transactions"]))
    link = gateway.wait_refreshed(link_id, after=refreshed_at)
    later = TransactionsApi(gateway.api).get_transactions_sync(link_id, cursor=first.cursor.next)
    pending_id = next(t.transaction_id for t in first.transactions.created if t.pending)
    assert later.transactions.removed == [pending_id]
    assert [(t.description, t.pending) for t in later.transactions.created] == [("GROCER", False)]
    everything = TransactionsApi(gateway.api).get_transactions(link_id).transactions
    assert sorted((t.description, t.pending) for t in everything) == [("COFFEE", False), ("GROCER", False)]

    # The Bridge re-issues the ids of what it already served (spec §9): the same transactions, none new.
    renumbered = bank.rotate_ids("ACT-1", start=int(time.time()) - 10 * DAY, end=int(time.time()) + DAY)
    assert set(renumbered) == {"TRN-COFFEE", "TRN-GROCER-POSTED"}
    refreshed_at = link.products.transactions.refreshed_at.isoformat()
    ProductsApi(gateway.api).refresh_products(link_id, RefreshProductsRequest(products=["transactions"]))
    gateway.wait_refreshed(link_id, after=refreshed_at)
    rotated = TransactionsApi(gateway.api).get_transactions_sync(link_id, cursor=later.cursor.next)
    assert (rotated.transactions.created, rotated.transactions.removed) == ([], [])
    same = TransactionsApi(gateway.api).get_transactions(link_id).transactions
    assert sorted(t.transaction_id for t in same) == sorted(t.transaction_id for t in everything)

    # The Bridge revokes the access: the link needs its user, and the app hears it in its format.
    with WebhookReceiver() as receiver:
        patched = httpx.patch(f"{gateway.base_url}/v1/moneykit/links/{link_id}",
                              json={"webhook": receiver.url}, headers=gateway.headers)  # fmt: skip
        assert patched.status_code == 200, patched.text
        for access in {r.username for r in bank.requests() if r.username}:
            bank.revoke_access(access)
        ProductsApi(gateway.api).refresh_products(link_id, RefreshProductsRequest(products=["transactions"]))
        wait_until(lambda: LinksApi(gateway.api).get_link(link_id).state.value == "error", timeout_s=30,
                   what="the link to need its user")  # fmt: skip
        error = LinksApi(gateway.api).get_link(link_id).error_code
        assert error is not None
        assert error.value == "auth_expired"
        wait_until(lambda: any(json.loads(r.body).get("link_id") == link_id for r in receiver.requests),
                   timeout_s=30, what="the link's webhook")  # fmt: skip
        events = [json.loads(r.body) for r in receiver.requests]
    assert {"webhook_event": "link.state_changed", "state": "error", "error": "auth_expired"}.items() <= next(
        e for e in events if e["webhook_event"] == "link.state_changed"
    ).items()

    # A new setup token repairs the same link, keeping its history.
    relink = moneykit_session(gateway, customer, existing_link_id=link_id)
    repaired = link_through_connect(
        page, gateway, relink, bank.mint_setup_token().token, screenshots, relink=True
    )
    assert exchange(gateway, repaired) == link_id
    wait_until(lambda: LinksApi(gateway.api).get_link(link_id).state.value == "connected", timeout_s=30,
               what="the link to connect again")  # fmt: skip
    kept = TransactionsApi(gateway.api).get_transactions(link_id).transactions
    assert sorted(str(t.description) for t in kept) == ["COFFEE", "GROCER"]


def test_plaid_apps_link_simplefin_through_link_tokens(
    gateway: Gateway, page: Page, bank: BridgeState, screenshots: Path
) -> None:
    configuration = plaid.Configuration(
        host=f"{gateway.base_url}/v1/plaid",
        api_key={"clientId": gateway.client_id, "secret": gateway.client_secret},
    )
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))
    created = httpx.post(f"{gateway.base_url}/v1/plaid/link/token/create", json={
        "client_id": gateway.client_id, "secret": gateway.client_secret, "client_name": "App",
        "language": "en", "country_codes": ["US"], "user": {"client_user_id": uuid.uuid4().hex},
        "products": ["transactions"],
        "redirect_uri": f"{gateway.base_url}/healthz",
    })  # fmt: skip
    assert created.status_code == 200, created.text
    public_token = link_through_connect(
        page, gateway, created.json()["link_token"], bank.mint_setup_token().token, screenshots
    )
    access_token = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public_token)
    ).access_token

    def synced() -> list[Any]:
        return list(client.transactions_sync(TransactionsSyncRequest(access_token=access_token)).added)

    wait_until(lambda: len(synced()) == 2, timeout_s=30, what="the first refresh")
    accounts = client.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert sorted(str(a.name) for a in accounts) == ["Everyday Checking 4321", "Rewards Visa Card 9876"]

    coffee = next(t for t in synced() if t.name == "COFFEE")
    assert (coffee.amount, coffee.merchant_name, coffee.pending) == (4.5, "Corner Coffee", False)
