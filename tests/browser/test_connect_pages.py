"""The hosted Connect page, end to end in headless Chromium: each ends by exchanging the token."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.support.moneykit import Gateway


def open_connect(gateway: Gateway, page: Page, **settings: object) -> str:
    """A link session for a new customer, opened in the page; the redirect is the gateway's /healthz."""
    redirect = f"{gateway.base_url}/healthz"
    body = {"customer_user": {"id": uuid.uuid4().hex}, "redirect_uri": redirect, **settings}
    created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers, json=body)
    assert created.status_code == 201, created.text
    token: str = created.json()["link_session_token"]
    page.goto(f"{gateway.base_url}/connect?link_session_token={token}")
    return redirect


def finish_and_exchange(gateway: Gateway, page: Page, shots: Path) -> dict[str, object]:
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    page.screenshot(path=shots / "accounts.png")
    page.get_by_role("button", name="Share selected accounts").click()
    page.wait_for_url(re.compile(r".*/healthz\?exchangeable_token="))
    token = parse_qs(urlsplit(page.url).query)["exchangeable_token"][0]
    exchanged = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
                           json={"exchangeable_token": token}, headers=gateway.headers)  # fmt: skip
    assert exchanged.status_code == 201, exchanged.text
    link_id = exchanged.json()["link_id"]
    gateway.wait_refreshed(link_id)
    accounts = gateway.get(f"/links/{link_id}/accounts")["accounts"]
    assert accounts
    return {"link_id": link_id, "accounts": accounts}


def log_in(page: Page, username: str, password: str = "pass_good") -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def test_credentials_bank_with_a_wrong_password_then_the_right_one(
    gateway: Gateway, page: Page, screenshots: Path
) -> None:
    open_connect(gateway, page)
    expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
    page.screenshot(path=screenshots / "institutions.png")
    page.locator("[data-institution=credentials_bank]").click()
    expect(page.get_by_role("heading", name="Log in to Credentials Bank")).to_be_visible()
    log_in(page, "user_good", "wrong")
    expect(page.get_by_role("alert")).to_be_visible()
    page.screenshot(path=screenshots / "wrong-password.png")
    expect(page.get_by_role("heading", name="Log in to Credentials Bank")).to_be_visible()  # stays put
    log_in(page, "user_good")
    linked = finish_and_exchange(gateway, page, screenshots)
    assert len(linked["accounts"]) == 4  # type: ignore[arg-type]


def test_a_one_time_code(gateway: Gateway, page: Page, screenshots: Path) -> None:
    open_connect(gateway, page, institution_id="credentials_bank")
    log_in(page, "user_good", "mfa_device")
    expect(page.get_by_role("heading", name="Enter the code we sent")).to_be_visible()
    page.screenshot(path=screenshots / "otp.png")
    page.get_by_role("textbox").fill("0000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_role("textbox").fill("1234")
    page.get_by_role("button", name="Verify").click()
    finish_and_exchange(gateway, page, screenshots)


def test_the_page_is_locked_down(gateway: Gateway, page: Page) -> None:
    response = httpx.get(f"{gateway.base_url}/connect", params={"link_session_token": "lst-<script>"})
    assert response.status_code == 200
    assert "<script>" not in response.text.split("<main", 1)[1]
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    page.goto(f"{gateway.base_url}/connect?link_session_token=lst-expired")
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
