"""Plaid-format webhooks end to end: a running gateway and worker deliver them to a local receiver, which
verifies them the way Plaid's documentation tells developers to: read the JWT's `kid`, fetch the key with
`/webhook_verification_key/get`, verify ES256, check `iat` is recent and compare the body's SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import plaid
import pytest
from jwt.algorithms import ECAlgorithm
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.webhook_type import WebhookType
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from tests.conftest import TEST_ENVIRONMENT
from tests.support.conformance import openapi
from tests.support.connect import ConnectPage
from tests.support.moneykit import Gateway
from tests.support.plaid import linked_item, plaid_client, plaid_error, raw, wait_for_transactions
from tests.support.processes import PROJECT_ROOT, wait_until
from tests.support.receiver import Received, WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> plaid.ApiClient:
    return plaid_client(gateway)


def verified(client: plaid.ApiClient, received: Received) -> dict[str, Any]:
    """The webhook's body, once its Plaid-Verification JWT checks out."""
    token = received.headers["plaid-verification"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    key = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=header["kid"])).key
    public_key = ECAlgorithm.from_jwk(json.dumps(key.to_dict()))
    claims = jwt.decode(token, public_key, algorithms=["ES256"])  # type: ignore[arg-type]
    assert time.time() - claims["iat"] < 5 * 60
    digest = hashlib.sha256(received.body).hexdigest()
    assert hmac.compare_digest(digest, claims["request_body_sha256"])
    body: dict[str, Any] = json.loads(received.body)
    return body


def codes(client: plaid.ApiClient, receiver: WebhookReceiver, path: str) -> list[tuple[str, str]]:
    return [
        (body["webhook_type"], body["webhook_code"])
        for body in (verified(client, r) for r in receiver.requests if r.path == path)
    ]


def wait_for(client: plaid.ApiClient, receiver: WebhookReceiver, path: str, *wanted: tuple[str, str]) -> None:
    wait_until(lambda: set(wanted) <= set(codes(client, receiver, path)), timeout_s=30,
               what=f"{wanted} at {path}")  # fmt: skip


def test_an_items_webhooks_arrive_signed_in_plaids_format(
    gateway: Gateway, client: plaid.ApiClient, receiver: WebhookReceiver
) -> None:
    access_token, item_id = linked_item(client, products=("transactions",), webhook=receiver.at("/item"))
    wait_for_transactions(client, access_token)
    wait_for(client, receiver, "/item", ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"),
             ("TRANSACTIONS", "INITIAL_UPDATE"), ("TRANSACTIONS", "HISTORICAL_UPDATE"))  # fmt: skip
    bodies = [verified(client, r) for r in receiver.requests]
    assert {body["item_id"] for body in bodies} == {item_id}
    assert {body["environment"] for body in bodies} == {"sandbox"}
    sync = next(b for b in bodies if b["webhook_code"] == "SYNC_UPDATES_AVAILABLE")
    assert sync["initial_update_complete"] is True
    assert sync["historical_update_complete"] is True
    initial = next(b for b in bodies if b["webhook_code"] == "INITIAL_UPDATE")
    assert initial["new_transactions"] == 2

    client.item_webhook_update(
        ItemWebhookUpdateRequest(access_token=access_token, webhook=receiver.at("/new"))
    )
    wait_for(client, receiver, "/new", ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED"))
    acknowledged = verified(client, next(r for r in receiver.requests if r.path == "/new"))
    assert acknowledged["new_webhook_url"] == receiver.at("/new")

    fired = client.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=access_token, webhook_code="DEFAULT_UPDATE")
    )
    assert fired.webhook_fired is True
    wait_for(client, receiver, "/new", ("TRANSACTIONS", "DEFAULT_UPDATE"))

    client.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    wait_for(client, receiver, "/new", ("ITEM", "ERROR"))
    error = next(verified(client, r) for r in receiver.requests if b'"ERROR"' in r.body)
    assert error["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert error["error"]["status"] == 400

    update = raw(
        gateway,
        "/link/token/create",
        {
            "client_name": "x",
            "language": "en",
            "country_codes": ["US"],
            "user": {"client_user_id": "u"},
            "access_token": access_token,
        },
    )
    page = ConnectPage(gateway.base_url, update.json()["link_token"])
    chosen = page.step("/credentials", {"credentials": {"username": "user_good", "password": "pass_good"}})
    page.step("/accounts", {"account_ids": [a["id"] for a in chosen["accounts"]]})
    wait_for(client, receiver, "/new", ("ITEM", "LOGIN_REPAIRED"))
    assert len(codes(client, receiver, "/item")) == len([r for r in receiver.requests if r.path == "/item"])


def test_a_forged_or_altered_webhook_fails_verification(
    client: plaid.ApiClient, receiver: WebhookReceiver
) -> None:
    access_token, _ = linked_item(client, products=("transactions",), webhook=receiver.at("/forged"))
    wait_for(client, receiver, "/forged", ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"))
    genuine = receiver.requests[0]
    altered = Received(genuine.path, genuine.headers, genuine.body.replace(b'"sandbox"', b'"production"'))
    assert altered.body != genuine.body
    with pytest.raises(AssertionError):
        verified(client, altered)
    with pytest.raises(plaid.ApiException) as unknown:
        client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id="not-a-key"))
    assert unknown.value.status == 400
    assert plaid_error(unknown.value)["error_type"] == "INVALID_INPUT"


def test_rotated_keys_stay_retrievable_with_expired_at(gateway: Gateway, client: plaid.ApiClient) -> None:
    jwks = httpx.get(f"{gateway.base_url}/.well-known/jwks.json").json()["keys"]
    before = [key["kid"] for key in jwks]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGATE_")} | TEST_ENVIRONMENT
    command = [sys.executable, "-m", "gateway.cli", "keys", "rotate"]
    rotated = subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert rotated.returncode == 0, rotated.stderr
    for kid in before:
        old = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid)).key
        assert old.kid == kid
        assert isinstance(old.created_at, int)
        assert isinstance(old.expired_at, int)
        assert old.expired_at >= old.created_at


def test_the_apps_own_uri_keeps_its_configured_format(gateway: Gateway, receiver: WebhookReceiver) -> None:
    other = gateway.other_tenant
    assert other is not None
    configured = httpx.patch(
        f"{other.base_url}/v1/developer/configuration",
        json={"webhook_uri": receiver.at("/app"), "webhook_format": "moneykit"},
        headers=other.headers,
    )
    assert configured.status_code == 200, configured.text
    other_client = plaid_client(other)
    access_token, _ = linked_item(other_client, products=("transactions",))  # no webhook of its own
    wait_for_transactions(other_client, access_token)
    wait_until(lambda: any(r.path == "/app" for r in receiver.requests), timeout_s=30, what="an app webhook")
    bodies = [json.loads(r.body) for r in receiver.requests if r.path == "/app"]
    assert all("webhook_event" in body and "webhook_type" not in body for body in bodies)
    assert all("plaid-verification" not in r.headers for r in receiver.requests)


# Each code of the description's fire_webhook request enum (with the type it is fired as) and the
# description's schema of the webhook it fires; None: the Item cannot have that product.
FIRED_SCHEMAS: dict[tuple[str | None, str], str | None] = {
    (None, "DEFAULT_UPDATE"): "DefaultUpdateWebhook",
    ("AUTH", "DEFAULT_UPDATE"): "AuthDefaultUpdateWebhook",
    ("IDENTITY", "DEFAULT_UPDATE"): "IdentityDefaultUpdateWebhook",
    ("HOLDINGS", "DEFAULT_UPDATE"): "HoldingsDefaultUpdateWebhook",
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): "InvestmentsDefaultUpdateWebhook",
    ("LIABILITIES", "DEFAULT_UPDATE"): "LiabilitiesDefaultUpdateWebhook",
    (None, "NEW_ACCOUNTS_AVAILABLE"): "NewAccountsAvailableWebhook",
    (None, "SMS_MICRODEPOSITS_VERIFICATION"): "HostedMMDVerificationWebhook",
    (None, "AUTHORIZATION_GRANTED"): None,  # the description has no body for it: checked by hand below
    (None, "USER_PERMISSION_REVOKED"): "UserPermissionRevokedWebhook",
    (None, "USER_ACCOUNT_REVOKED"): "UserAccountRevokedWebhook",
    (None, "PENDING_DISCONNECT"): "PendingDisconnectWebhook",
    (None, "RECURRING_TRANSACTIONS_UPDATE"): "RecurringTransactionsUpdateWebhook",
    (None, "LOGIN_REPAIRED"): "ItemLoginRepairedWebhook",
    (None, "SYNC_UPDATES_AVAILABLE"): "SyncUpdatesAvailableWebhook",
    ("ITEM", "ERROR"): "ItemErrorWebhook",
}
NOT_ENABLED = ("PRODUCT_READY", "ERROR")  # Assets webhooks: Linkgate Items never have assets


def test_every_code_of_the_descriptions_enum_fires_its_webhook(
    client: plaid.ApiClient, receiver: WebhookReceiver
) -> None:
    description = openapi.load("plaid-2020-09-14.yml")
    enum = description.document["components"]["schemas"]["SandboxItemFireWebhookRequest"]["properties"][
        "webhook_code"
    ]["enum"]
    assert set(enum) == {code for _, code in FIRED_SCHEMAS} | set(NOT_ENABLED)
    access_token, item_id = linked_item(client, webhook=receiver.at("/fired"))
    wait_for_transactions(client, access_token)
    for webhook_type, code in FIRED_SCHEMAS:
        request = SandboxItemFireWebhookRequest(access_token=access_token, webhook_code=code)
        if webhook_type is not None:
            request.webhook_type = WebhookType(webhook_type)
        assert client.sandbox_item_fire_webhook(request).webhook_fired is True
    for code in NOT_ENABLED:
        with pytest.raises(plaid.ApiException) as refused:
            client.sandbox_item_fire_webhook(
                SandboxItemFireWebhookRequest(access_token=access_token, webhook_code=code)
            )
        assert plaid_error(refused.value)["error_code"] == "SANDBOX_PRODUCT_NOT_ENABLED"

    def fired() -> dict[tuple[str, str], dict[str, Any]]:
        bodies = [verified(client, r) for r in receiver.requests if r.path == "/fired"]
        return {(b["webhook_type"], b["webhook_code"]): b for b in bodies}

    wanted = {(t or ("TRANSACTIONS" if c in ("DEFAULT_UPDATE", "SYNC_UPDATES_AVAILABLE",
                                             "RECURRING_TRANSACTIONS_UPDATE")
                     else "AUTH" if c == "SMS_MICRODEPOSITS_VERIFICATION" else "ITEM"), c): schema
              for (t, c), schema in FIRED_SCHEMAS.items()}  # fmt: skip
    wait_until(lambda: set(wanted) <= set(fired()), timeout_s=30, what="every fired webhook")
    bodies = fired()
    for kind, schema in wanted.items():
        body = bodies[kind]
        assert body["item_id"] == item_id, kind
        if schema is not None:
            assert description.component_problems(schema, body) == [], (kind, body)
    liabilities = bodies[("LIABILITIES", "DEFAULT_UPDATE")]["account_ids_with_updated_liabilities"]
    accounts = client.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert list(liabilities) == [a.account_id for a in accounts if a.type.value == "credit"]
    assert set(bodies[("ITEM", "AUTHORIZATION_GRANTED")]) == {"webhook_type", "webhook_code", "item_id",
                                                             "environment"}  # fmt: skip


def test_a_code_and_type_that_do_not_belong_together_are_refused(client: plaid.ApiClient) -> None:
    access_token, _ = linked_item(client, products=("transactions",), webhook="http://127.0.0.1:9/hook")
    with pytest.raises(plaid.ApiException) as mismatched:
        client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(
            access_token=access_token, webhook_code="NEW_ACCOUNTS_AVAILABLE", webhook_type=WebhookType("AUTH")
        ))  # fmt: skip
    assert plaid_error(mismatched.value)["error_code"] == "INVALID_FIELD"
    with pytest.raises(plaid.ApiException) as no_product:
        client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(
            access_token=access_token, webhook_code="DEFAULT_UPDATE", webhook_type=WebhookType("HOLDINGS")
        ))  # fmt: skip
    assert plaid_error(no_product.value)["error_code"] == "SANDBOX_PRODUCT_NOT_ENABLED"
