"""Every place a webhook URI is configured refuses one the sender could not use, in its own format.

The dashboard configuration (`/v1/developer/configuration`, `/v1/webhooks/configuration`, which MX
webhooks use too), MoneyKit link sessions, Plaid link tokens (and `/item/webhook/update`, through the
same check) and Yodlee notification subscriptions all parse with `gateway.webhooks.uris`, as the
sender does. These are sandbox apps, which may otherwise send webhooks to loopback and private hosts.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.integration.platform.conftest import Tenant

UNUSABLE = {
    "http://0177.0.0.1/hook": "non-standard notation",
    "http://0x7f.1/hook": "non-standard notation",
    "http://2130706433/hook": "non-standard notation",
    "http://127.1/hook": "non-standard notation",
    "http://１２７.0.0.1/hook": "digits outside ASCII",
    "http://٣.example/hook": "digits outside ASCII",
    "http://127.0.0.1:99999/hook": "port",
    "http://exa_mple.com/hook": "DNS name",
}
USABLE = "http://127.0.0.1:9000/hook"

Configure = Callable[[Tenant, str], Awaitable[httpx.Response]]


async def dashboard_configuration(tenant: Tenant, uri: str) -> httpx.Response:
    return await tenant.http.patch(
        "/v1/developer/configuration", json={"webhook_uri": uri}, headers=await tenant.bearer()
    )


async def webhooks_configuration(tenant: Tenant, uri: str) -> httpx.Response:
    return await tenant.http.patch(
        "/v1/webhooks/configuration", json={"webhookUri": uri}, headers=await tenant.bearer()
    )


async def moneykit_link_session(tenant: Tenant, uri: str) -> httpx.Response:
    body = {"customer_user": {"id": uuid.uuid4().hex}, "institution_id": "credentials_bank", "webhook": uri}
    return await tenant.http.post("/v1/moneykit/link-session", json=body, headers=await tenant.bearer())


async def plaid_link_token(tenant: Tenant, uri: str) -> httpx.Response:
    body = {"client_id": tenant.client_id, "secret": tenant.client_secret, "client_name": "App",
            "language": "en", "country_codes": ["US"], "user": {"client_user_id": uuid.uuid4().hex},
            "products": ["transactions"], "webhook": uri}  # fmt: skip
    return await tenant.http.post("/v1/plaid/link/token/create", json=body)


async def yodlee_subscription(tenant: Tenant, uri: str) -> httpx.Response:
    version = {"Api-Version": "1.1"}
    form = {"clientId": tenant.client_id, "secret": tenant.client_secret}
    token = await tenant.http.post("/v2/yodlee/auth/token", headers=version, data=form)
    assert token.status_code == 201, token.text
    headers = version | {"authorization": f"Bearer {token.json()['token']['accessToken']}"}
    body = {"event": {"callbackUrl": uri}}
    return await tenant.http.post(
        "/v2/yodlee/configs/notifications/events/REFRESH", json=body, headers=headers
    )


def dashboard_error(body: dict[str, Any]) -> tuple[str, str]:
    return body["error"]["code"], body["error"]["message"]


def moneykit_error(body: dict[str, Any]) -> tuple[str, str]:
    return body["error_code"], body["error_message"]


def plaid_error(body: dict[str, Any]) -> tuple[str, str]:
    return body["error_code"], body["error_message"]


def yodlee_error(body: dict[str, Any]) -> tuple[str, str]:
    return body["errorCode"], body["errorMessage"]


# Where, how it answers (status, error code), and how to read its error.
PLACES: dict[str, tuple[Configure, int, str, Callable[[dict[str, Any]], tuple[str, str]]]] = {
    "dashboard": (dashboard_configuration, 400, "invalid_webhook_uri", dashboard_error),
    "webhooks": (webhooks_configuration, 400, "invalid_webhook_uri", dashboard_error),
    "moneykit": (moneykit_link_session, 403, "link_session_error.forbidden_config", moneykit_error),
    "plaid": (plaid_link_token, 400, "INVALID_FIELD", plaid_error),
    "yodlee": (yodlee_subscription, 400, "Y800", yodlee_error),
}


@pytest.mark.parametrize("place", PLACES)
async def test_unusable_uris_are_refused_where_they_are_configured(tenant: Tenant, place: str) -> None:
    configure, status, code, error_of = PLACES[place]
    for uri, reason in UNUSABLE.items():
        response = await configure(tenant, uri)
        assert response.status_code == status, (uri, response.text)
        got_code, message = error_of(response.json())
        assert got_code == code, (uri, response.text)
        assert reason in message, (uri, message)


@pytest.mark.parametrize("place", PLACES)
async def test_a_usable_uri_is_still_accepted(tenant: Tenant, place: str) -> None:
    configure = PLACES[place][0]
    response = await configure(tenant, USABLE)
    assert response.is_success, response.text
