"""The fake Plaid Link (tests/fakes/plaid/link) in headless Chromium, inside a host page that sends
Connect's Content-Security-Policy: the script may load and frame the fake's origin, nothing more. The
dialog lives in an iframe on the fake's origin, so a test drives it with
`page.frame_locator('iframe[title="Plaid Link"]')`.

The host page (served here on another loopback port) loads the Link script, then its own `/host.js`,
which opens Link with the token in its URL (kept in sessionStorage for the OAuth return to `/oauth`)
and writes what Link reported into `<pre id="result">`, and every CSP violation into `<pre id="csp">`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, FrameLocator, Page, expect

from tests.fakes.plaid import DEFAULT_CREDENTIALS, FakeClock, PlaidState, RunningPlaid, running_plaid
from tests.support.processes import wait_until

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
WAIT_MS = 10_000
LINK_FRAME = 'iframe[title="Plaid Link"]'

HOST_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Link host</title></head>
<body>
<pre id="result"></pre>
<pre id="csp"></pre>
<script src="{script_url}"></script>
<script src="/host.js"></script>
</body>
</html>
"""

HOST_SCRIPT = """
"use strict";
(function () {
  var csp = document.getElementById("csp");
  document.addEventListener("securitypolicyviolation", function (event) {
    csp.textContent += event.violatedDirective + " " + event.blockedURI + "\\n";
  });
  var params = new URLSearchParams(window.location.search);
  var resuming = params.has("oauth_state_id");
  if (params.get("token")) sessionStorage.setItem("link_token", params.get("token"));
  var events = [];
  window.linkEvents = events;
  var loaded = false;
  function report(outcome) {
    outcome.events = events;
    outcome.loaded = loaded;
    document.getElementById("result").textContent = JSON.stringify(outcome);
  }
  var config = {
    token: sessionStorage.getItem("link_token"),
    onLoad: function () { loaded = true; },
    onEvent: function (name, metadata) { events.push({ name: name, metadata: metadata }); },
    onSuccess: function (publicToken, metadata) {
      report({ kind: "success", public_token: publicToken, metadata: metadata });
    },
    onExit: function (error, metadata) { report({ kind: "exit", error: error, metadata: metadata }); },
  };
  if (resuming) config.receivedRedirectUri = window.location.href;
  window.linkHandler = window.Plaid.create(config);
  window.linkHandler.open();
})();
"""


def content_security_policy(link_origin: str) -> str:
    """Connect's policy (gateway/collections/connect/headers.py) with the fake's origin as Link's."""
    return (
        f"default-src 'none'; script-src 'self' {link_origin}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; frame-src {link_origin}; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'self'"
    )


class _HostHandler(BaseHTTPRequestHandler):
    server: _HostServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in ("/host", "/oauth"):
            page = HOST_PAGE.format(script_url=self.server.plaid.state.link_script_url)
            self._send(page, "text/html; charset=utf-8")
        elif path == "/host.js":
            self._send(HOST_SCRIPT, "application/javascript")
        else:
            self.send_error(404)

    def _send(self, text: str, content_type: str) -> None:
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", content_security_policy(self.server.plaid.base_url))
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _HostServer(ThreadingHTTPServer):
    def __init__(self, plaid: RunningPlaid) -> None:
        super().__init__(("127.0.0.1", 0), _HostHandler)
        self.plaid = plaid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class Harness:
    """The fake Plaid, the host page's server and the CSP complaints the browser logged."""

    plaid: RunningPlaid
    host: _HostServer
    http: httpx.Client
    console_csp: list[str] = field(default_factory=list)

    @property
    def state(self) -> PlaidState:
        return self.plaid.state

    def api(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"{self.plaid.base_url}{path}", json=body, headers=HEADERS)

    def link_token(self, **fields: Any) -> str:
        created = self.api("/link/token/create", {**LINK_REQUEST, **fields})
        assert created.status_code == 200, created.text
        return str(created.json()["link_token"])

    def open_link(self, page: Page, token: str) -> FrameLocator:
        page.on("console", self._console)
        page.goto(f"{self.host.base_url}/host?token={token}")
        return page.frame_locator(LINK_FRAME)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console_csp.append(message.text)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RunningPlaid, _HostServer]]:
    with running_plaid(PlaidState(clock=FakeClock(NOW))) as plaid:
        host = _HostServer(plaid)
        thread = threading.Thread(target=host.serve_forever, name="link-host", daemon=True)
        thread.start()
        try:
            yield plaid, host
        finally:
            host.shutdown()
            host.server_close()
            thread.join(timeout=10)


@pytest.fixture
def harness(served: tuple[RunningPlaid, _HostServer]) -> Iterator[Harness]:
    plaid, host = served
    plaid.state.reset()
    plaid.state.clock.set(NOW)
    with httpx.Client(timeout=10) as http:
        yield Harness(plaid, host, http)
    assert plaid.state.violations == []


def outcome(page: Page) -> dict[str, Any]:
    """What Link reported to the host page (onSuccess or onExit), once it has."""
    result = page.locator("#result")
    expect(result).not_to_be_empty(timeout=WAIT_MS)
    reported: dict[str, Any] = json.loads(result.text_content() or "")
    return reported


def event_names(reported: dict[str, Any]) -> list[str]:
    return [event["name"] for event in reported["events"]]


def assert_no_csp_violation(page: Page, harness: Harness) -> None:
    assert page.locator("#csp").text_content() == ""
    assert harness.console_csp == []


def test_choosing_a_bank_and_continuing_gives_a_public_token_the_api_exchanges(
    page: Page, harness: Harness
) -> None:
    link = harness.open_link(page, harness.link_token())
    dialog = link.get_by_role("dialog", name="Plaid Link (fake)")
    expect(dialog).to_have_id("plaid-link-fake", timeout=WAIT_MS)
    bank = dialog.locator('[data-institution-id="ins_109508"]')
    bank.click()
    expect(bank).to_have_attribute("aria-pressed", "true")
    dialog.get_by_role("button", name="Continue").click()

    reported = outcome(page)
    assert reported["kind"] == "success"
    assert reported["loaded"] is True
    assert reported["public_token"].startswith("public-sandbox-")
    metadata = reported["metadata"]
    assert metadata["institution"] == {"name": "First Platypus Bank", "institution_id": "ins_109508"}
    assert {"id", "name", "mask", "type", "subtype", "verification_status"} <= metadata["accounts"][0].keys()
    names = event_names(reported)
    assert names == ["OPEN", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "HANDOFF"]
    assert {event["metadata"]["link_session_id"] for event in reported["events"]} == {
        metadata["link_session_id"]
    }
    expect(page.locator(LINK_FRAME)).to_have_count(0)
    exchanged = harness.api("/item/public_token/exchange", {"public_token": reported["public_token"]})
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["access_token"].startswith("access-sandbox-")
    assert_no_csp_violation(page, harness)


def test_exit_calls_on_exit_without_an_error(page: Page, harness: Harness) -> None:
    link = harness.open_link(page, harness.link_token())
    link.get_by_role("button", name="Exit").click()

    reported = outcome(page)
    assert reported["kind"] == "exit"
    assert reported["error"] is None
    assert reported["metadata"]["status"] == "requires_credentials"
    assert reported["metadata"]["institution"] is None
    assert reported["metadata"]["link_session_id"].startswith("fake-session-")
    assert event_names(reported) == ["OPEN", "EXIT"]
    expect(page.locator(LINK_FRAME)).to_have_count(0)
    assert_no_csp_violation(page, harness)


def test_a_scripted_error_ends_link_with_on_exit_and_the_error(page: Page, harness: Harness) -> None:
    harness.state.link_exit_error = "INSTITUTION_DOWN"
    harness.open_link(page, harness.link_token())

    reported = outcome(page)
    assert reported["kind"] == "exit"
    assert reported["error"]["error_type"] == "INSTITUTION_ERROR"
    assert reported["error"]["error_code"] == "INSTITUTION_DOWN"
    assert {"error_message", "display_message"} <= reported["error"].keys()
    assert event_names(reported) == ["OPEN", "ERROR", "EXIT"]
    assert reported["events"][1]["metadata"]["error_code"] == "INSTITUTION_DOWN"
    expect(page.locator(LINK_FRAME)).to_have_count(0)
    assert_no_csp_violation(page, harness)


def test_an_oauth_bank_goes_through_the_host_page_as_redirect_uri_and_completes_there(
    page: Page, harness: Harness
) -> None:
    redirect_uri = f"{harness.host.base_url}/oauth"
    link = harness.open_link(page, harness.link_token(redirect_uri=redirect_uri))
    link.locator('[data-institution-id="ins_127287"]').click()
    link.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{redirect_uri}?oauth_state_id=*", timeout=WAIT_MS)

    reported = outcome(page)  # the host page opened Link again with receivedRedirectUri
    assert reported["kind"] == "success", reported
    assert reported["metadata"]["institution"]["institution_id"] == "ins_127287"
    assert event_names(reported) == ["OPEN", "HANDOFF"]
    exchanged = harness.api("/item/public_token/exchange", {"public_token": reported["public_token"]})
    assert exchanged.status_code == 200, exchanged.text
    assert_no_csp_violation(page, harness)


def test_the_handlers_exit_reports_the_bank_chosen_in_the_frame(page: Page, harness: Harness) -> None:
    link = harness.open_link(page, harness.link_token())
    link.locator('[data-institution-id="ins_109508"]').click()
    # Polled from here: `wait_for_function` evaluates its predicate inside the page once the first check
    # fails, which the host page's CSP (no 'unsafe-eval') refuses; `evaluate` goes through the debugger.
    chosen = "window.linkEvents.some(function (e) { return e.name === 'SELECT_INSTITUTION'; })"
    wait_until(lambda: bool(page.evaluate(chosen)), timeout_s=WAIT_MS / 1000, what="SELECT_INSTITUTION")
    page.evaluate("window.linkHandler.exit()")

    reported = outcome(page)
    assert reported["kind"] == "exit"
    assert reported["error"] is None
    assert reported["metadata"]["status"] == "requires_credentials"
    assert reported["metadata"]["institution"] == {
        "name": "First Platypus Bank",
        "institution_id": "ins_109508",
    }
    assert event_names(reported) == ["OPEN", "SELECT_INSTITUTION", "EXIT"]
    assert reported["events"][-1]["metadata"]["institution_id"] == "ins_109508"
    expect(page.locator(LINK_FRAME)).to_have_count(0)
    assert_no_csp_violation(page, harness)


def test_destroy_removes_the_frame_and_nothing_is_reported(page: Page, harness: Harness) -> None:
    link = harness.open_link(page, harness.link_token())
    expect(link.get_by_role("button", name="Continue")).to_be_visible(timeout=WAIT_MS)
    page.evaluate("window.linkHandler.destroy()")
    expect(page.locator(LINK_FRAME)).to_have_count(0)
    page.evaluate("window.linkHandler.exit()")  # after destroy(): no callback any more
    expect(page.locator("#result")).to_be_empty()
    assert_no_csp_violation(page, harness)


def test_the_host_page_does_report_an_inline_style(page: Page, harness: Harness) -> None:
    """The CSP checks above can fail: an inline style in the host page is reported both ways."""
    harness.open_link(page, harness.link_token())
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    expect(page.locator("#csp")).to_contain_text("style-src", timeout=WAIT_MS)
    assert any("style-src" in text for text in harness.console_csp)
