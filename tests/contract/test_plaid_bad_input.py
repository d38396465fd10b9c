"""Bad input and tenant isolation on every Plaid endpoint, over plain HTTP (the official client refuses
to send most of these): Plaid's error object and status, and nothing changed afterwards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.moneykit import Gateway
from tests.support.plaid import WIDE_WINDOW, linked_item, plaid_client, raw, wait_for_transactions

WINDOW = {"start_date": WIDE_WINDOW[0].isoformat(), "end_date": WIDE_WINDOW[1].isoformat()}
# Every endpoint that names an Item, with the smallest valid body beside the access token.
ITEM_ENDPOINTS: dict[str, dict[str, Any]] = {
    "/item/get": {},
    "/item/remove": {},
    "/item/webhook/update": {"webhook": "https://example.com/hook"},
    "/accounts/get": {},
    "/accounts/balance/get": {},
    "/auth/get": {},
    "/identity/get": {},
    "/transactions/get": WINDOW,
    "/transactions/sync": {},
    "/transactions/refresh": {},
    "/investments/holdings/get": {},
    "/investments/transactions/get": WINDOW,
    "/liabilities/get": {},
    "/transactions/recurring/get": {},
    "/identity/match": {"user": {"legal_name": "Alberta Charleson"}},
    "/sandbox/item/fire_webhook": {"webhook_code": "DEFAULT_UPDATE"},
    "/sandbox/item/reset_login": {},
    "/item/access_token/invalidate": {},
    "/link/token/create": {"client_name": "x", "language": "en", "country_codes": ["US"],
                           "user": {"client_user_id": "u"}},
}  # fmt: skip
OTHER_ENDPOINTS: dict[str, dict[str, Any]] = {
    "/sandbox/public_token/create": {"institution_id": "ins_109508", "initial_products": ["transactions"]},
    "/item/public_token/exchange": {"public_token": "public-sandbox-00000000-0000-4000-8000-000000000000"},
    "/institutions/get": {"count": 1, "offset": 0, "country_codes": ["US"]},
    "/institutions/get_by_id": {"institution_id": "ins_109508", "country_codes": ["US"]},
    "/webhook_verification_key/get": {"key_id": "nope"},
    "/link/token/get": {"link_token": "link-sandbox-00000000-0000-4000-8000-000000000000"},
    "/institutions/search": {"query": "platypus", "country_codes": ["US"]},
}


@pytest.fixture(scope="module")
def item(gateway: Gateway) -> dict[str, str]:
    client = plaid_client(gateway)
    access_token, item_id = linked_item(client, products=("transactions", "auth", "identity", "investments"))
    wait_for_transactions(client, access_token)
    return {"access_token": access_token, "item_id": item_id}


def error_of(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error_type", "error_code", "error_message", "display_message", "request_id"}
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def snapshot(gateway: Gateway, access_token: str) -> tuple[Any, ...]:
    """What a reader of the Item sees: its state, accounts and transactions (request ids left out)."""
    parts = []
    for path, body in (("/item/get", {}), ("/accounts/get", {}), ("/transactions/get", WINDOW)):
        answer = raw(gateway, path, {"access_token": access_token, **body}).json()
        answer.pop("request_id")
        parts.append(answer)
    return tuple(parts)


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


def test_another_tenants_access_token_answers_like_a_made_up_one(
    gateway: Gateway, item: dict[str, str]
) -> None:
    other = gateway.other_tenant
    assert other is not None
    before = snapshot(gateway, item["access_token"])
    made_up = "access-sandbox-00000000-0000-4000-8000-000000000000"
    for path, body in ITEM_ENDPOINTS.items():
        foreign = error_of(raw(other, path, {"access_token": item["access_token"], **body}))
        unknown = error_of(raw(other, path, {"access_token": made_up, **body}))
        assert without_request_id(foreign) == without_request_id(unknown), path
        assert foreign["error_code"] == "INVALID_ACCESS_TOKEN", path
    assert snapshot(gateway, item["access_token"]) == before


def test_credentials_are_checked_first_and_may_come_in_the_body(
    gateway: Gateway, item: dict[str, str]
) -> None:
    for path, body in {**ITEM_ENDPOINTS, **OTHER_ENDPOINTS}.items():
        sent = {"access_token": item["access_token"], **body}
        missing = error_of(raw(gateway, path, sent, credentials=False))
        assert missing["error_code"] == "MISSING_FIELDS", path
        assert "client_id" in missing["error_message"]
        wrong = error_of(raw(gateway, path, sent, credentials=False, headers={
            "PLAID-CLIENT-ID": gateway.client_id, "PLAID-SECRET": "not-the-secret"}))  # fmt: skip
        assert (wrong["error_type"], wrong["error_code"]) == ("INVALID_INPUT", "INVALID_API_KEYS"), path
    in_body = raw(gateway, "/item/get", {"access_token": item["access_token"], "client_id": gateway.client_id,
                                         "secret": gateway.client_secret}, credentials=False)  # fmt: skip
    assert in_body.status_code == 200, in_body.text
    headers_win = raw(gateway, "/item/get", {"access_token": item["access_token"], "secret": "wrong"})
    assert headers_win.status_code == 200, headers_win.text


def test_missing_and_invalid_fields_are_named(gateway: Gateway, item: dict[str, str]) -> None:
    token = item["access_token"]
    for path in ITEM_ENDPOINTS:
        if path == "/link/token/create":
            continue
        missing = error_of(raw(gateway, path, ITEM_ENDPOINTS[path]))
        assert missing["error_code"] == "MISSING_FIELDS", path
        assert "access_token" in missing["error_message"], path
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        ("/transactions/get", {"access_token": token, "start_date": "2024-02-01", "end_date": "2024-01-01"},
         "INVALID_FIELD", "end_date"),
        ("/transactions/get", {"access_token": token, "start_date": "01/02/2024", "end_date": "2024-01-01"},
         "INVALID_FIELD", "start_date"),
        ("/transactions/get", {"access_token": token, **WINDOW, "options": {"count": 501}}, "INVALID_FIELD",
         "count"),
        ("/transactions/get", {"access_token": token}, "MISSING_FIELDS", "start_date"),
        ("/transactions/sync", {"access_token": token, "cursor": "bm90LWEtY3Vyc29y"}, "INVALID_FIELD",
         "cursor"),
        ("/transactions/sync", {"access_token": token, "count": 0}, "INVALID_FIELD", "count"),
        ("/accounts/get", {"access_token": token, "options": {"account_ids": ["nope"]}}, "INVALID_ACCOUNT_ID",
         "nope"),
        ("/liabilities/get", {"access_token": token, "options": {"account_ids": ["nope"]}},
         "INVALID_ACCOUNT_ID", "nope"),
        ("/transactions/recurring/get", {"access_token": token, "account_ids": ["nope"]},
         "INVALID_ACCOUNT_ID", "nope"),
        ("/transactions/recurring/get", {"access_token": token, "options": "x"}, "INVALID_FIELD", "options"),
        ("/identity/match", {"access_token": token, "user": {"legal_name": 5}}, "INVALID_FIELD",
         "legal_name"),
        ("/identity/match", {"access_token": token, "user": {"address": {"country": "USA"}}}, "INVALID_FIELD",
         "country"),
        ("/item/webhook/update", {"access_token": token, "webhook": "javascript:alert(1)"}, "INVALID_FIELD",
         "webhook"),
        ("/sandbox/item/fire_webhook", {"access_token": token, "webhook_code": "NOPE"}, "INVALID_FIELD",
         "webhook_code"),
        ("/link/token/create", {"client_name": "x", "language": "en", "country_codes": ["US"]},
         "MISSING_FIELDS", "user"),
        ("/link/token/create", {**ITEM_ENDPOINTS["/link/token/create"], "products": ["assets"]},
         "INVALID_PRODUCT", "assets"),
        ("/sandbox/public_token/create", {"institution_id": "ins_nope", "initial_products": ["transactions"]},
         "INVALID_INSTITUTION", "ins_nope"),
        ("/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": []},
         "INVALID_FIELD", "initial_products"),
        ("/sandbox/public_token/create", {**OTHER_ENDPOINTS["/sandbox/public_token/create"],
                                          "options": {"override_password": "wrong"}},
         "INVALID_CREDENTIALS", "credentials"),
        ("/item/public_token/exchange", {"public_token": "public-sandbox-nope"}, "INVALID_PUBLIC_TOKEN",
         "public"),
        ("/institutions/get", {"count": 0, "offset": 0, "country_codes": ["US"]}, "INVALID_FIELD", "count"),
        ("/institutions/get_by_id", {"institution_id": "ins_nope", "country_codes": ["US"]},
         "INVALID_INSTITUTION", "ins_nope"),
        ("/webhook_verification_key/get", {}, "MISSING_FIELDS", "key_id"),
        ("/link/token/get", {}, "MISSING_FIELDS", "link_token"),
        ("/link/token/get", {"link_token": "link-sandbox-nope"}, "INVALID_LINK_TOKEN", "link_token"),
        ("/institutions/search", {"country_codes": ["US"]}, "MISSING_FIELDS", "query"),
        ("/institutions/search", {"query": "  ", "country_codes": ["US"]}, "INVALID_FIELD", "query"),
        ("/institutions/search", {"query": "x", "country_codes": []}, "INVALID_FIELD", "country_codes"),
    ]  # fmt: skip
    before = snapshot(gateway, token)
    for path, body, code, named in cases:
        error = error_of(raw(gateway, path, body))
        assert error["error_code"] == code, (path, body, error)
        assert named in error["error_message"], (path, error["error_message"])
    assert snapshot(gateway, token) == before


def test_malformed_requests_get_plaids_invalid_request(gateway: Gateway, item: dict[str, str]) -> None:
    url = f"{gateway.base_url}/v1/plaid/item/get"
    headers = {"PLAID-CLIENT-ID": gateway.client_id, "PLAID-SECRET": gateway.client_secret}
    not_json = httpx.post(url, content=b"{not json", headers=headers | {"content-type": "application/json"})
    assert error_of(not_json)["error_code"] == "INVALID_BODY"
    oversized = b'{"access_token": "' + b"x" * (2 * 1024 * 1024) + b'"}'  # over LINKGATE_MAX_BODY_BYTES
    too_large = httpx.post(url, content=oversized, headers=headers | {"content-type": "application/json"})
    assert error_of(too_large, 413)["error_code"] == "INVALID_BODY"
    wrong_version = raw(
        gateway, "/item/get", {"access_token": item["access_token"]}, headers={"Plaid-Version": "2018-05-22"}
    )
    assert error_of(wrong_version)["error_code"] == "INCOMPATIBLE_API_VERSION"
    right_version = raw(
        gateway, "/item/get", {"access_token": item["access_token"]}, headers={"Plaid-Version": "2020-09-14"}
    )
    assert right_version.status_code == 200


def test_public_tokens_are_single_use_and_the_apps_own(gateway: Gateway) -> None:
    other = gateway.other_tenant
    assert other is not None
    created = raw(gateway, "/sandbox/public_token/create", OTHER_ENDPOINTS["/sandbox/public_token/create"])
    public_token = created.json()["public_token"]
    assert public_token.startswith("public-sandbox-")
    only_user = raw(
        gateway,
        "/sandbox/public_token/create",
        {**OTHER_ENDPOINTS["/sandbox/public_token/create"], "options": {"override_username": "user_2"}},
    )
    assert only_user.status_code == 200, only_user.text  # the password defaults to pass_good, as at Plaid
    stolen = raw(other, "/item/public_token/exchange", {"public_token": public_token})
    assert error_of(stolen)["error_code"] == "INVALID_PUBLIC_TOKEN"
    exchanged = raw(gateway, "/item/public_token/exchange", {"public_token": public_token})
    assert exchanged.status_code == 200, exchanged.text  # the other app's attempt did not use it up
    again = raw(gateway, "/item/public_token/exchange", {"public_token": public_token})
    assert error_of(again)["error_code"] == "INVALID_PUBLIC_TOKEN"


def test_link_money_item_and_user_tokens_reach_only_their_item(
    gateway: Gateway, item: dict[str, str]
) -> None:
    from formats.plaid import ids

    link_id = str(ids.decode(item["item_id"]))
    token = httpx.post(f"{gateway.base_url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": gateway.client_id,
        "client_secret": gateway.client_secret, "item_id": link_id})  # fmt: skip
    assert token.status_code == 200, token.text
    bearer = {"authorization": f"Bearer {token.json()['access_token']}"}
    own = raw(
        gateway, "/accounts/get", {}, credentials=False, headers=bearer
    )  # no access_token: the token's item
    assert own.status_code == 200, own.text
    other_token, _ = linked_item(plaid_client(gateway), products=("transactions",))
    foreign = raw(gateway, "/accounts/get", {"access_token": other_token}, credentials=False, headers=bearer)
    assert error_of(foreign)["error_code"] == "INVALID_ACCESS_TOKEN"


def test_a_path_of_plaids_description_we_do_not_serve_is_a_plaid_404(gateway: Gateway) -> None:
    for path in ("/asset_report/create", "/transfer/get", "/processor/token/create", "/nope"):
        body = error_of(raw(gateway, path, {"access_token": "access-sandbox-x"}), 404)
        assert (body["error_type"], body["error_code"]) == ("INVALID_REQUEST", "NOT_FOUND"), path


def test_another_apps_link_token_answers_like_a_made_up_one(gateway: Gateway) -> None:
    other = gateway.other_tenant
    assert other is not None
    create = ITEM_ENDPOINTS["/link/token/create"]
    token = raw(gateway, "/link/token/create", create).json()["link_token"]
    assert raw(gateway, "/link/token/get", {"link_token": token}).status_code == 200
    foreign = error_of(raw(other, "/link/token/get", {"link_token": token}))
    unknown = error_of(raw(other, "/link/token/get", OTHER_ENDPOINTS["/link/token/get"]))
    assert without_request_id(foreign) == without_request_id(unknown)
    assert foreign["error_code"] == "INVALID_LINK_TOKEN"


def test_a_rotated_access_token_is_refused_everywhere(gateway: Gateway) -> None:
    client = plaid_client(gateway)
    old_token, _ = linked_item(client, products=("transactions",))
    rotated = raw(gateway, "/item/access_token/invalidate", {"access_token": old_token})
    assert rotated.status_code == 200, rotated.text
    for path, body in ITEM_ENDPOINTS.items():
        if path != "/link/token/create":
            refused = error_of(raw(gateway, path, {"access_token": old_token, **body}))
            assert refused["error_code"] == "INVALID_ACCESS_TOKEN", path
    again = error_of(raw(gateway, "/item/access_token/invalidate", {"access_token": old_token}))
    assert again["error_code"] == "INVALID_ACCESS_TOKEN"
    new_token = rotated.json()["new_access_token"]
    assert raw(gateway, "/item/get", {"access_token": new_token}).status_code == 200
