"""Webhooks end to end: a running gateway and worker deliver MoneyKit webhooks to a local receiver.

Signatures are checked the way receivers check them: Standard Webhooks with the `standardwebhooks`
reference library, `MoneyKit-Signature` with PyJWT against the published JWKS; bodies are validated
with the official MoneyKit client's webhook models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
import standardwebhooks.webhooks
from moneykit.api import WebhooksApi
from moneykit.models import (
    AppLinkStateChangedWebhook,
    ProductStateChangedWebhook,
    TransactionUpdatesAvailableWebhook,
    WebhookLinkTestEvent,
    WebhookTestLinkRequest,
)
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.moneykit import Gateway
from tests.support.processes import wait_until
from tests.support.receiver import Received, Reply, WebhookReceiver

SDK_MODELS: dict[str, Any] = {
    "link.state_changed": AppLinkStateChangedWebhook,
    "link.product_refresh": ProductStateChangedWebhook,
    "product.state_changed": ProductStateChangedWebhook,  # sent as link.product_refresh, as the client reads
    "transactions.updates_available": TransactionUpdatesAvailableWebhook,
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def linked(gateway: Gateway, webhook: str | None) -> str:
    exchanged = httpx.post(
        f"{gateway.base_url}/v1/moneykit/link-session/exchange-token",
        json={"exchangeable_token": gateway.sandbox_token("user_1")},
        headers=gateway.headers,
    )
    assert exchanged.status_code == 201, exchanged.text
    link_id: str = exchanged.json()["link_id"]
    gateway.wait_refreshed(link_id)
    if webhook is not None:
        patched = httpx.patch(
            f"{gateway.base_url}/v1/moneykit/links/{link_id}",
            json={"webhook": webhook},
            headers=gateway.headers,
        )
        assert patched.status_code == 200, patched.text
    return link_id


def signing_secret(gateway: Gateway) -> str:
    response = httpx.get(f"{gateway.base_url}/v1/dashboard/apps/{gateway.app_id}/webhook-secret",
                         headers=gateway.dashboard)  # fmt: skip
    assert response.status_code == 200, response.text
    secret: str = response.json()["secret"]
    assert secret.startswith("whsec_")
    return secret


def verify_moneykit_signature(gateway: Gateway, received: Received) -> dict[str, Any]:
    jwks = httpx.get(f"{gateway.base_url}/.well-known/jwks.json").json()
    token = received.headers["moneykit-signature"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    issuer = jwt.decode(gateway.token.access_token, options={"verify_signature": False})["iss"]
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["ES256"], issuer=issuer, options={"require": ["iat", "iss"]}
    )
    assert claims["request_body_sha256"] == hashlib.sha256(received.body).hexdigest()
    return claims


def arrived(receiver: WebhookReceiver, webhook_id: str) -> Callable[[], bool]:
    return lambda: webhook_id in receiver.webhook_ids()


def deliveries(gateway: Gateway, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{gateway.base_url}/v1/webhooks/deliveries", params=params, headers=gateway.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


def test_a_refresh_sends_signed_moneykit_webhooks(
    gateway: Gateway, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_id = linked(gateway, receiver.url)
    refreshed = httpx.post(f"{gateway.base_url}/v1/moneykit/links/{link_id}/products",
                           json={"products": ["transactions"]}, headers=gateway.headers)  # fmt: skip
    assert refreshed.status_code == 202

    wait_until(lambda: len(receiver.requests) >= 3, timeout_s=20, what="three webhooks")
    secret = signing_secret(gateway)
    events = set()
    for received in receiver.requests:
        body = Webhook(secret).verify(received.body, received.headers)  # raises unless signed by us
        model = SDK_MODELS[body["webhook_event"]]
        parsed = model.from_json(received.body.decode())
        assert parsed is not None
        assert (parsed.link_id, parsed.webhook_idempotency_key) == (link_id, received.headers["webhook-id"])
        assert received.headers["moneykit-delivery-token"] == received.headers["webhook-id"]
        assert received.headers["moneykit-delivery-attempt"] == "1"
        verify_moneykit_signature(gateway, received)
        events.add(body["webhook_event"])
    assert events == {"link.product_refresh", "transactions.updates_available"}

    first = receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(first.body.replace(b"link_id", b"link_iD"), first.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing_secret(gateway.other_tenant or gateway)).verify(first.body, first.headers)

    class TenMinutesLater(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Any:
            return dt.datetime.now(tz) + dt.timedelta(minutes=10)

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", TenMinutesLater)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(first.body, first.headers)
    monkeypatch.undo()

    listed = deliveries(gateway, link_id=link_id, status="succeeded")
    assert {d["webhook_id"] for d in listed} == {r.headers["webhook-id"] for r in receiver.requests}
    assert all(d["format"] == "moneykit" and d["attempts"] == 1 for d in listed)


def test_four_failures_then_a_manual_retry(gateway: Gateway) -> None:
    with WebhookReceiver(lambda n: Reply(500) if n < 4 else Reply(200)) as receiver:
        link_id = linked(gateway, receiver.url)
        sent = WebhooksApi(gateway.api).trigger_test_link_webhook_event(
            link_id,
            WebhookTestLinkRequest(webhook_event=WebhookLinkTestEvent.LINK_STATE_CHANGED,
                                   webhook_idempotency_key="idem-1"),
        )  # fmt: skip
        wait_until(lambda: any(d["status"] == "failed" for d in deliveries(gateway, link_id=link_id)),
                   timeout_s=20, what="four failed attempts")  # fmt: skip
        failed = deliveries(gateway, link_id=link_id, status="failed")[0]
        assert failed["webhook_id"] == sent.delivery_token
        detail = httpx.get(
            f"{gateway.base_url}/v1/webhooks/deliveries/{failed['id']}", headers=gateway.headers
        )
        log = detail.json()["attempt_log"]
        assert [(a["attempt_number"], a["status_code"], a["succeeded"]) for a in log] == [
            (1, 500, False), (2, 500, False), (3, 500, False), (4, 500, False),
        ]  # fmt: skip
        assert all(a["response_excerpt"] == "ok" for a in log)
        assert receiver.webhook_ids() == [sent.delivery_token] * 4  # the same id on every retry
        assert [r.headers["moneykit-delivery-attempt"] for r in receiver.requests] == ["1", "2", "3", "4"]
        gaps = [b.headers["webhook-timestamp"] for b in receiver.requests]
        assert int(gaps[-1]) - int(gaps[0]) >= 2  # retries wait LINKGATE_WEBHOOK_RETRY_DELAY_S (1 s here)

        retried = httpx.post(f"{gateway.base_url}/v1/webhooks/events/{failed['event_id']}/retry",
                             headers=gateway.headers)  # fmt: skip
        assert retried.status_code == 202, retried.text
        assert retried.json()["delivery"]["trigger"] == "retry"
        wait_until(lambda: len(receiver.requests) == 5, timeout_s=10, what="the re-fired event")
        fifth = receiver.requests[4]
        assert AppLinkStateChangedWebhook.from_json(fifth.body.decode()) is not None
        new_id = retried.json()["delivery"]["id"]
        wait_until(lambda: httpx.get(f"{gateway.base_url}/v1/webhooks/deliveries/{new_id}",
                                     headers=gateway.headers).json()["status"] == "succeeded",
                   timeout_s=10, what="the retry to be recorded")  # fmt: skip


def test_the_test_trigger_carries_the_idempotency_key(gateway: Gateway, receiver: WebhookReceiver) -> None:
    link_id = linked(gateway, receiver.url)
    key = f"idem-{uuid.uuid4().hex}"
    for event in WebhookLinkTestEvent:
        sent = WebhooksApi(gateway.api).trigger_test_link_webhook_event(
            link_id, WebhookTestLinkRequest(webhook_event=event, webhook_idempotency_key=key)
        )
        wait_until(arrived(receiver, sent.delivery_token), timeout_s=10, what=event.value)
        received = next(r for r in receiver.requests if r.headers["webhook-id"] == sent.delivery_token)
        parsed = SDK_MODELS[event.value].from_json(received.body.decode())
        assert parsed is not None
        assert parsed.webhook_idempotency_key == key
        assert received.headers["moneykit-delivery-token"] == sent.delivery_token

    no_webhook = linked(gateway, None)
    refused = httpx.post(f"{gateway.base_url}/v1/moneykit/webhooks/test/link/{no_webhook}",
                         json={"webhook_event": "link.state_changed", "webhook_idempotency_key": "k"},
                         headers=gateway.headers)  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "link_error.bad_config"
    bad = httpx.post(f"{gateway.base_url}/v1/moneykit/webhooks/test/link/{link_id}",
                     json={"webhook_event": "link.exploded"}, headers=gateway.headers)  # fmt: skip
    assert bad.status_code == 422  # the operation's declared 422: LinkErrorBadStateResponse
    assert bad.json()["error_code"] == "link_error.bad_state"
    assert bad.json()["link_error_code"] == "api_error.request.validation_failed"
    assert bad.json()["validation_errors"][0]["location"] == ["body", "webhook_event"]


def test_a_rotated_secret_signs_alongside_the_new_one(gateway: Gateway, receiver: WebhookReceiver) -> None:
    link_id = linked(gateway, receiver.url)
    old = signing_secret(gateway)
    url = f"{gateway.base_url}/v1/dashboard/apps/{gateway.app_id}/webhook-secret/rotate"
    rotated = httpx.post(url, json={"grace_period_s": 3600}, headers=gateway.dashboard)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old
    assert rotated.json()["previous_secret_expires_at"] is not None

    def trigger() -> Received:
        token = WebhooksApi(gateway.api).trigger_test_link_webhook_event(
            link_id, WebhookTestLinkRequest(webhook_event=WebhookLinkTestEvent.LINK_STATE_CHANGED,
                                            webhook_idempotency_key=uuid.uuid4().hex),
        ).delivery_token  # fmt: skip
        wait_until(lambda: token in receiver.webhook_ids(), timeout_s=10, what="a test webhook")
        return next(r for r in receiver.requests if r.headers["webhook-id"] == token)

    during_grace = trigger()
    assert len(during_grace.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(during_grace.body, during_grace.headers)

    immediate = httpx.post(url, json={"grace_period_s": 0}, headers=gateway.dashboard)
    assert immediate.json()["previous_secret_expires_at"] is None
    after = trigger()
    Webhook(immediate.json()["secret"]).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(after.body, after.headers)


def test_webhook_routes_bad_input_and_other_tenants(gateway: Gateway, receiver: WebhookReceiver) -> None:
    assert gateway.other_tenant is not None
    link_id = linked(gateway, receiver.url)
    sent = WebhooksApi(gateway.api).trigger_test_link_webhook_event(
        link_id, WebhookTestLinkRequest(webhook_event=WebhookLinkTestEvent.LINK_STATE_CHANGED,
                                        webhook_idempotency_key="x"),
    )  # fmt: skip
    wait_until(lambda: sent.delivery_token in receiver.webhook_ids(), timeout_s=10, what="a test webhook")
    mine = next(d for d in deliveries(gateway, link_id=link_id) if d["webhook_id"] == sent.delivery_token)
    base, stranger = f"{gateway.base_url}/v1/webhooks", gateway.other_tenant.headers

    for path in (f"/deliveries/{mine['id']}", f"/events/{mine['event_id']}/retry"):
        method = "POST" if path.endswith("retry") else "GET"
        foreign = httpx.request(method, base + path, headers=stranger)
        missing = httpx.request(method, base + path.replace(mine["id"], str(uuid.uuid4())).replace(
            mine["event_id"], str(uuid.uuid4())), headers=stranger)  # fmt: skip
        assert foreign.status_code == missing.status_code == 404, path
        assert {k: v for k, v in foreign.json().items() if k != "request_id"} == {
            k: v for k, v in missing.json().items() if k != "request_id"
        }
    assert (
        httpx.get(f"{base}/deliveries", params={"link_id": link_id}, headers=stranger).json()["deliveries"]
        == []
    )
    secret = f"{gateway.base_url}/v1/dashboard/apps/{gateway.app_id}/webhook-secret"
    assert httpx.get(secret, headers=gateway.other_tenant.dashboard).status_code == 404
    assert httpx.post(secret + "/rotate", headers=gateway.other_tenant.dashboard).status_code == 404

    for params in (
        {"status": "exploded"},
        {"records_per_page": "0"},
        {"page": "0"},
        {"records_per_page": "1001"},
    ):
        assert httpx.get(f"{base}/deliveries", params=params, headers=gateway.headers).status_code == 422, (
            params
        )
    assert httpx.get(f"{base}/deliveries/not-an-id", headers=gateway.headers).status_code == 404
    assert httpx.get(f"{base}/deliveries", headers={}).status_code == 401
    rotate = httpx.post(secret + "/rotate", json={"grace_period_s": -1}, headers=gateway.dashboard)
    assert rotate.status_code == 422
    rotate = httpx.post(
        secret + "/rotate", json={"grace_period_s": 60, "extra": 1}, headers=gateway.dashboard
    )
    assert rotate.status_code == 422
    page = httpx.get(f"{base}/deliveries", params={"records_per_page": "1"}, headers=gateway.headers).json()
    assert len(page["deliveries"]) == 1
    assert page["pagination"]["per_page"] == 1
    assert page["pagination"]["total_pages"] == page["pagination"]["total_entries"] >= 1
