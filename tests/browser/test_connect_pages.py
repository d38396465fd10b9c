"""The hosted Connect page, end to end in headless Chromium: each ends by exchanging the token."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.support.moneykit import Gateway


def open_connect(gateway: Gateway, page: Page, customer: str | None = None, **settings: object) -> str:
    """A link session (for a new customer by default), opened in the page; the redirect is /healthz."""
    redirect = f"{gateway.base_url}/healthz"
    body = {"customer_user": {"id": customer or uuid.uuid4().hex}, "redirect_uri": redirect, **settings}
    created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers, json=body)
    assert created.status_code == 201, created.text
    token: str = created.json()["link_session_token"]
    page.goto(f"{gateway.base_url}/connect?link_session_token={token}")
    return redirect


USABILITY_PROBLEMS = """() => {
  const problems = [];
  for (const input of document.querySelectorAll("input:not([type=hidden])")) {
    const named = input.labels.length > 0 || input.getAttribute("aria-label");
    if (!named) problems.push("no label: " + (input.name || input.id || input.type));
  }
  for (const button of document.querySelectorAll("button")) {
    if (!button.innerText.trim() && !button.getAttribute("aria-label")) problems.push("unnamed button");
  }
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push("scrolls sideways");
  if (!document.querySelector("h1")) problems.push("no heading");
  return problems;
}"""


def assert_usable(page: Page) -> None:
    """Every input labelled, every button named, a heading, and nothing wider than the phone."""
    assert page.evaluate(USABILITY_PROBLEMS) == []


def finish_and_exchange(gateway: Gateway, page: Page, shots: Path) -> dict[str, object]:
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    assert_usable(page)
    expect(page.locator("main")).not_to_contain_text("null")  # no empty placeholders rendered as text
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
    expect(page.get_by_label("Username")).to_be_visible()
    assert_usable(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def test_credentials_bank_with_a_wrong_password_then_the_right_one(
    gateway: Gateway, page: Page, screenshots: Path
) -> None:
    open_connect(gateway, page)
    expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
    assert_usable(page)
    expect(page.get_by_role("list", name="Banks").get_by_role("listitem")).not_to_have_count(0)
    page.screenshot(path=screenshots / "institutions.png")
    page.locator("[data-institution=credentials_bank]").click()
    expect(page.get_by_role("heading", name="Log in to Credentials Bank")).to_be_visible()
    log_in(page, "user_good", "wrong")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert_usable(page)
    page.screenshot(path=screenshots / "wrong-password.png")
    expect(page.get_by_role("heading", name="Log in to Credentials Bank")).to_be_visible()  # stays put
    log_in(page, "user_good")
    linked = finish_and_exchange(gateway, page, screenshots)
    assert len(linked["accounts"]) == 4  # type: ignore[arg-type]


def test_a_one_time_code(gateway: Gateway, page: Page, screenshots: Path) -> None:
    open_connect(gateway, page, institution_id="credentials_bank")
    log_in(page, "user_good", "mfa_device")
    expect(page.get_by_role("heading", name="Enter the code we sent")).to_be_visible()
    assert_usable(page)
    page.screenshot(path=screenshots / "otp.png")
    page.get_by_role("textbox").fill("0000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_role("textbox").fill("1234")
    page.get_by_role("button", name="Verify").click()
    finish_and_exchange(gateway, page, screenshots)


def test_the_page_is_locked_down(gateway: Gateway, page: Page) -> None:
    response = httpx.get(f"{gateway.base_url}/connect", params={"link_session_token": "lst-<script>"})
    assert response.status_code == 404  # no such session: a page saying so, without the token
    assert "<script>" not in response.text.split("<main", 1)[1]
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    page.goto(f"{gateway.base_url}/connect?link_session_token=lst-expired")
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    page.goto(f"{gateway.base_url}/connect/oauth/oauth_bank?state=forged")
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()


def test_security_questions(gateway: Gateway, page: Page, screenshots: Path) -> None:
    open_connect(gateway, page, institution_id="credentials_bank")
    log_in(page, "user_good", "mfa_question")
    expect(page.get_by_role("heading", name="Answer your security questions")).to_be_visible()
    assert_usable(page)
    page.screenshot(path=screenshots / "questions.png")
    boxes = page.get_by_role("textbox")
    assert boxes.count() == 2
    for index in range(2):  # each question states its answer: "… (answer: Hello)"
        question = page.locator("label").nth(index).inner_text()
        boxes.nth(index).fill(re.findall(r"\b(Hello|World)\b", question)[-1])
    page.get_by_role("button", name="Verify").click()
    finish_and_exchange(gateway, page, screenshots)


def test_a_single_choice(gateway: Gateway, page: Page, screenshots: Path) -> None:
    open_connect(gateway, page, institution_id="credentials_bank")
    log_in(page, "user_good", "mfa_selections")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert_usable(page)
    page.screenshot(path=screenshots / "selection.png")
    page.get_by_role("radio", name="Blue").check()
    page.get_by_role("button", name="Verify").click()
    finish_and_exchange(gateway, page, screenshots)


def test_oauth_bank_redirects_to_its_consent_page_and_back(
    gateway: Gateway, page: Page, screenshots: Path
) -> None:
    open_connect(gateway, page)
    page.locator("[data-institution=oauth_bank]").click()
    page.get_by_role("button", name="Continue to OAuth Bank").click()
    page.wait_for_url(re.compile(r".*/connect/oauth/oauth_bank\?"))
    expect(page.get_by_role("heading", name="OAuth Bank")).to_be_visible()
    assert_usable(page)
    page.screenshot(path=screenshots / "bank-consent.png")
    page.get_by_role("button", name="Deny").click()  # back in Connect, told why, free to try again
    page.wait_for_url(re.compile(r".*/connect\?link_session_token="))
    expect(page.get_by_role("alert")).to_contain_text("did not allow")
    page.get_by_role("button", name="Continue to OAuth Bank").click()
    page.get_by_role("button", name="Allow").click()
    finish_and_exchange(gateway, page, screenshots)


def test_cancel_leaves_the_link_in_user_error_and_tells_the_opener(gateway: Gateway, page: Page) -> None:
    customer = uuid.uuid4().hex
    body = {"customer_user": {"id": customer}, "institution_id": "credentials_bank"}
    created = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session", headers=gateway.headers, json=body)
    token = created.json()["link_session_token"]
    # The app's page opens Connect in a popup and listens for its events.
    page.goto(f"{gateway.base_url}/healthz")
    page.evaluate(
        """url => { window.events = []; addEventListener("message", e => window.events.push(e.data));
                    window.popup = window.open(url, "connect"); }""",
        f"{gateway.base_url}/connect?link_session_token={token}",
    )
    popup = page.context.wait_for_event("page")
    popup.get_by_label("Username").fill("user_good")
    popup.get_by_label("Password").fill("pass_good")
    popup.get_by_role("button", name="Continue").click()
    expect(popup.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    popup.get_by_role("button", name="Cancel").click()
    expect(popup.get_by_role("heading", name="Linking cancelled")).to_be_visible()
    events = page.evaluate("window.events.map(e => e.event)")
    assert events[0] == "open"
    assert "credentials_submitted" in events
    assert events[-1] == "exit"
    links = gateway.get(f"/users/{customer}/links")["links"]
    assert [(link["state"], link["error_code"]) for link in links.values()] == [("error", "user_error")]
    # The session is over: reopening it says so.
    popup.goto(f"{gateway.base_url}/connect?link_session_token={token}")
    expect(popup.get_by_role("heading", name="This link has expired")).to_be_visible()


def test_relinking_returns_the_same_link_connected(gateway: Gateway, page: Page, screenshots: Path) -> None:
    customer = uuid.uuid4().hex
    open_connect(gateway, page, customer, institution_id="credentials_bank")
    log_in(page, "user_good")
    first = finish_and_exchange(gateway, page, screenshots)
    link_id = first["link_id"]
    reset = httpx.post(f"{gateway.base_url}/v1/moneykit/links/{link_id}/reset", headers=gateway.headers)
    assert reset.status_code == 200, reset.text
    assert gateway.get(f"/links/{link_id}")["state"] == "error"

    open_connect(gateway, page, customer, existing_link_id=link_id)
    # Straight to the link's institution.
    expect(page.get_by_role("heading", name="Log in to Credentials Bank")).to_be_visible()
    log_in(page, "user_good")
    again = finish_and_exchange(gateway, page, screenshots)
    assert again["link_id"] == link_id
    assert gateway.get(f"/links/{link_id}")["state"] == "connected"


def test_link_money_gateway_entry_returns_events_to_the_redirect(
    gateway: Gateway, page: Page, screenshots: Path
) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    form = {"grant_type": "client_credentials", "client_id": gateway.client_id,
            "client_secret": gateway.client_secret, "guid": user}  # fmt: skip
    minted = httpx.post(f"{gateway.base_url}/oauth/token", data=form)
    assert minted.status_code == 200, minted.text
    user_token = minted.json()["token"]
    redirect = f"{gateway.base_url}/healthz"
    page.goto(f"{gateway.base_url}/v1/gateway/authenticate?token={user_token}&redirectUri={redirect}")
    expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
    page.locator("[data-institution=credentials_bank]").click()
    log_in(page, "user_good")
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    page.get_by_role("checkbox").nth(1).uncheck()  # share all but one
    page.screenshot(path=screenshots / "accounts.png")
    page.get_by_role("button", name="Share selected accounts").click()
    page.wait_for_url(re.compile(r".*/healthz\?events="))
    (event,) = json.loads(parse_qs(urlsplit(page.url).query)["events"][0])
    assert event["user_id"] == f"default:{user}"
    assert event["institution"] == {"name": "Credentials Bank", "institution_id": "credentials_bank"}
    assert len(event["accounts"]) == 3
    assert all(isinstance(a["balances"]["current"], float) for a in event["accounts"])
    # The link is connected already (no exchange); the user's own token reads it.
    link = gateway.get(f"/links/{event['item_id']}")
    assert link["state"] == "connected"
    gateway.wait_refreshed(event["item_id"])
    accounts = httpx.get(f"{gateway.base_url}/v1/moneykit/links/{event['item_id']}/accounts",
                         headers={"authorization": f"Bearer {user_token}"})  # fmt: skip
    assert accounts.status_code == 200, accounts.text
    assert len(accounts.json()["accounts"]) == 3

    bad_requests = [
        {"token": user_token, "redirectUri": "ftp://x"},
        {"token": "nope", "redirectUri": redirect},
        {"token": gateway.token.access_token, "redirectUri": redirect},  # a generic token
    ]
    for bad in bad_requests:
        response = httpx.get(
            f"{gateway.base_url}/v1/gateway/authenticate", params=bad, follow_redirects=False
        )
        assert response.status_code in (400, 401, 403), (bad, response.status_code)


def test_instant_bank_with_the_keyboard_only(gateway: Gateway, page: Page, screenshots: Path) -> None:
    open_connect(gateway, page)
    expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
    expect(page.locator("#search")).to_be_focused()  # each screen puts focus on its first control
    page.keyboard.type("Instant")
    expect(page.locator("[data-institution]")).to_have_count(1)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Log in to Instant Bank")).to_be_visible()
    expect(page.get_by_role("button", name="Continue")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Choose accounts to share")).to_be_visible()
    expect(page.get_by_role("checkbox").first).to_be_focused()
    page.keyboard.press("Space")  # leave the first account out
    for _ in range(page.get_by_role("checkbox").count()):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/healthz\?exchangeable_token="))
    token = parse_qs(urlsplit(page.url).query)["exchangeable_token"][0]
    exchanged = httpx.post(f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
                           json={"exchangeable_token": token}, headers=gateway.headers)  # fmt: skip
    assert exchanged.status_code == 201, exchanged.text
    gateway.wait_refreshed(exchanged.json()["link_id"])
    assert len(gateway.get(f"/links/{exchanged.json()['link_id']}/accounts")["accounts"]) == 3
