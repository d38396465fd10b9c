"""Yodlee-format webhooks end to end: subscriptions through `/configs/notifications/events`, and a
running gateway and worker delivering `{"event": {"info", "data"}}` bodies to a local receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.moneykit import Gateway
from tests.support.processes import wait_until
from tests.support.receiver import WebhookReceiver
from tests.support.yodlee import Yodlee

EVENTS = "/configs/notifications/events"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def bodies(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    return [orjson.loads(r.body) for r in list(receiver.requests)]


def by_info(receiver: WebhookReceiver, info: str) -> list[dict[str, Any]]:
    return [b["event"] for b in bodies(receiver) if b["event"]["info"] == info]


def test_subscriptions_and_delivery_in_yodlee_format(gateway: Gateway, receiver: WebhookReceiver) -> None:
    yodlee = Yodlee(gateway)
    assert gateway.other_tenant is not None
    other = Yodlee(gateway.other_tenant)
    for name in ("REFRESH", "DATA_UPDATES", "AUTO_REFRESH_UPDATES"):
        created = yodlee.call(
            "POST", f"{EVENTS}/{name}", yodlee.admin, json={"event": {"callbackUrl": receiver.url}}
        )
        assert created.status_code == 201, created.text
        assert created.content == b""
    listed = yodlee.ok("GET", EVENTS, yodlee.admin)["event"]
    assert {e["name"] for e in listed} == {"REFRESH", "DATA_UPDATES", "AUTO_REFRESH_UPDATES"}
    assert {e["callbackUrl"] for e in listed} == {receiver.url}
    assert other.ok("GET", EVENTS, other.admin)["event"] == []

    name, token, provider_account_id = yodlee.linked_user()
    kinds = ("DATA_UPDATES.USER_DATA", "REFRESH.PROCESS_COMPLETED", "AUTO_REFRESH_UPDATES")
    wait_until(
        lambda: all(by_info(receiver, info) for info in kinds), timeout_s=20, what="three Yodlee webhooks"
    )

    account_ids = sorted(a["id"] for a in yodlee.ok("GET", "/accounts", token)["account"])
    auto = by_info(receiver, "AUTO_REFRESH_UPDATES")[0]
    # Connected before its first refresh stored any account: no account ids yet.
    assert auto["data"] == [{"autoRefresh": {"status": "ENABLED", "additionalStatus": "SCHEDULED"},
                             "accountIds": [], "loginName": name,
                             "providerAccountId": provider_account_id}]  # fmt: skip
    assert isinstance(auto["notificationId"], str)
    refresh = by_info(receiver, "REFRESH.PROCESS_COMPLETED")[0]
    assert refresh["loginName"] == name
    assert refresh["data"]["providerAccount"][0]["id"] == provider_account_id
    assert refresh["data"]["providerAccount"][0]["providerId"] == 100001
    updates = by_info(receiver, "DATA_UPDATES.USER_DATA")[0]
    assert updates["data"]["userCount"] == 1
    user_data = updates["data"]["userData"][0]
    assert user_data["user"] == {"loginName": name}
    link = user_data["links"][0]
    assert (link["methodType"], link["rel"]) == ("GET", "getUserData")
    extract = yodlee.ok("GET", "/" + link["href"], yodlee.admin)["userData"][0]
    assert sorted(a["id"] for a in extract["account"]) == account_ids
    assert extract["transaction"]

    # Standard Webhooks signatures, as on every format.
    secret = httpx.get(f"{gateway.base_url}/v1/dashboard/apps/{gateway.app_id}/webhook-secret",
                       headers=gateway.dashboard).json()["secret"]  # fmt: skip
    first = receiver.requests[0]
    Webhook(secret).verify(first.body, first.headers)

    # Deleting the provider account disables its auto refresh, naming its accounts.
    assert yodlee.call("DELETE", f"/providerAccounts/{provider_account_id}", token).status_code == 200
    wait_until(lambda: len(by_info(receiver, "AUTO_REFRESH_UPDATES")) >= 2, timeout_s=20, what="the deletion")
    gone = by_info(receiver, "AUTO_REFRESH_UPDATES")[1]["data"][0]
    assert gone["autoRefresh"] == {"status": "DISABLED", "additionalStatus": "UNSUBSCRIBED"}
    assert gone["accountIds"] == account_ids

    # Change, then remove a subscription: the next events go nowhere for that name.
    changed = yodlee.call(
        "PUT", f"{EVENTS}/REFRESH", yodlee.admin, json={"event": {"callbackUrl": receiver.url + "2"}}
    )
    assert changed.status_code == 204, changed.text
    assert yodlee.ok("GET", f"{EVENTS}?eventName=REFRESH", yodlee.admin)["event"][0]["callbackUrl"].endswith(
        "/hook2"
    )
    for name in ("REFRESH", "DATA_UPDATES", "AUTO_REFRESH_UPDATES"):
        assert yodlee.call("DELETE", f"{EVENTS}/{name}", yodlee.admin).status_code == 204
    assert yodlee.ok("GET", EVENTS, yodlee.admin)["event"] == []


def test_subscription_bad_input(gateway: Gateway) -> None:
    yodlee = Yodlee(gateway)
    body = {"event": {"callbackUrl": "http://127.0.0.1:9/hooks"}}

    def code(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["errorCode"]

    assert code(yodlee.call("POST", f"{EVENTS}/NOPE", yodlee.admin, json=body)) == (400, "Y800")
    assert code(yodlee.call("POST", f"{EVENTS}/REFRESH", yodlee.admin, json={"event": {}})) == (400, "Y803")
    bad_url = {"event": {"callbackUrl": "ftp://example.com"}}
    assert code(yodlee.call("POST", f"{EVENTS}/REFRESH", yodlee.admin, json=bad_url)) == (400, "Y800")
    assert yodlee.call("POST", f"{EVENTS}/REFRESH", yodlee.admin, json=body).status_code == 201
    assert code(yodlee.call("POST", f"{EVENTS}/REFRESH", yodlee.admin, json=body)) == (400, "Y811")
    assert code(yodlee.call("PUT", f"{EVENTS}/DATA_UPDATES", yodlee.admin, json=body)) == (400, "Y800")
    assert code(yodlee.call("DELETE", f"{EVENTS}/DATA_UPDATES", yodlee.admin)) == (400, "Y800")
    _, user_token = yodlee.new_user()
    assert code(yodlee.call("GET", EVENTS, user_token)) == (401, "Y015")
    assert yodlee.call("DELETE", f"{EVENTS}/REFRESH", yodlee.admin).status_code == 204
