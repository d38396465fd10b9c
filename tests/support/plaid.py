"""The official Plaid client (plaid-python) pointed at a running gateway's `/v1/plaid`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import plaid
from plaid.api import plaid_api
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import SandboxPublicTokenCreateRequestOptions
from plaid.model.transactions_get_request import TransactionsGetRequest

from tests.support.moneykit import Gateway
from tests.support.processes import wait_until

ALL_PRODUCTS = ("transactions", "auth", "identity", "investments")
WIDE_WINDOW = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def plaid_client(gateway: Gateway, *, host_suffix: str = "") -> plaid_api.PlaidApi:
    configuration = plaid.Configuration(
        host=f"{gateway.base_url}/v1/plaid{host_suffix}",
        api_key={
            "clientId": gateway.client_id,
            "secret": gateway.client_secret,
            "plaidVersion": "2020-09-14",
        },  # fmt: skip
    )
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


def linked_item(
    client: plaid_api.PlaidApi,
    *,
    institution_id: str = "ins_109508",
    username: str = "user_1",
    products: tuple[str, ...] = ALL_PRODUCTS,
    webhook: str | None = None,
) -> tuple[str, str]:
    """(access_token, item_id) of a new sandbox Item, exchanged through the client."""
    options: dict[str, Any] = {"override_username": username, "override_password": "pass_good"}
    if webhook is not None:
        options["webhook"] = webhook
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id=institution_id,
            initial_products=[Products(p) for p in products],
            options=SandboxPublicTokenCreateRequestOptions(**options),
        )
    )
    exchange = ItemPublicTokenExchangeRequest(public_token=public.public_token)
    exchanged = client.item_public_token_exchange(exchange)
    return exchanged.access_token, exchanged.item_id


def wait_for_transactions(client: plaid_api.PlaidApi, access_token: str) -> Any:
    """The first `/transactions/get` answer once the Item's transactions have arrived."""
    answers: list[Any] = []

    def ready() -> bool:
        try:
            answers.append(
                client.transactions_get(
                    TransactionsGetRequest(
                        access_token=access_token, start_date=WIDE_WINDOW[0], end_date=WIDE_WINDOW[1]
                    )
                )  # fmt: skip
            )
        except plaid.ApiException as exc:
            if plaid_error(exc)["error_code"] != "PRODUCT_NOT_READY":
                raise
            return False
        return True

    wait_until(ready, timeout_s=30, what="the Item's first transactions")
    return answers[-1]


def plaid_error(exc: plaid.ApiException) -> dict[str, Any]:
    """The Plaid error object of a failed call, as Plaid's docs show reading it."""
    body: dict[str, Any] = json.loads(exc.body)
    return body


def raw(
    gateway: Gateway,
    path: str,
    body: dict[str, Any],
    *,
    credentials: bool = True,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A Plaid call over plain HTTP, for what the official client refuses to send."""
    sent = dict(headers or {})
    if credentials:
        sent |= {"PLAID-CLIENT-ID": gateway.client_id, "PLAID-SECRET": gateway.client_secret}
    return httpx.post(f"{gateway.base_url}/v1/plaid{path}", json=body, headers=sent)
