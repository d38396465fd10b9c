"""MX over plain HTTP: Accept negotiation, auth failures, bad input, MFA and credential outcomes,
user-level Basic credentials, tenant isolation and one MX webhook, against the running gateway."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from gateway.collections.mx.router import ROUTERS
from gateway.errors import NotFound
from tests.support.conformance import openapi as conformance_openapi
from tests.support.connect import ConnectPage
from tests.support.moneykit import Gateway, sign_up_tenant
from tests.support.processes import wait_until
from tests.support.receiver import WebhookReceiver

ACCEPT = "application/vnd.mx.api.v1+json"
JOBS = ("aggregate", "verify", "identify", "check_balance", "extend_history")


def basic(client_id: str, secret: str, user: str | None = None) -> str:
    raw = f"{client_id}:{secret}" + (f":{user}" if user else "")
    return "Basic " + base64.b64encode(raw.encode()).decode()


class Mx:
    def __init__(self, base_url: str, client_id: str, secret: str) -> None:
        self.base_url, self.client_id, self.secret = base_url, client_id, secret
        headers = {"authorization": basic(client_id, secret), "accept": ACCEPT}
        self.http = httpx.Client(base_url=f"{base_url}/v1/mx", timeout=20, headers=headers)

    def create_user(self) -> str:
        created = self.http.post("/users", json={"user": {"id": uuid.uuid4().hex}})
        assert created.status_code == 200, created.text
        guid: str = created.json()["user"]["guid"]
        return guid

    def create_member(self, user: str, password: str, username: str = "mxuser") -> dict[str, Any]:
        fields = self.http.get("/institutions/mxbank/credentials").json()["credentials"]
        values = {"USERNAME": username, "PASSWORD": password}
        body = {
            "member": {
                "institution_code": "mxbank",
                "credentials": [{"guid": f["guid"], "value": values[f["field_name"]]} for f in fields],
            }
        }
        created = self.http.post(f"/users/{user}/members", json=body)
        assert created.status_code == 202, created.text
        member: dict[str, Any] = created.json()["member"]
        return member

    def wait_aggregated(self, user: str, member: str) -> None:
        def done() -> bool:
            status = self.http.get(f"/users/{user}/members/{member}/status").json()["member"]
            return status["connection_status"] == "CONNECTED" and not status["is_being_aggregated"]

        wait_until(done, timeout_s=30, what=f"member {member} to aggregate")


@pytest.fixture(scope="module")
def mx(gateway: Gateway) -> Mx:
    return Mx(gateway.base_url, gateway.client_id, gateway.client_secret)


@pytest.fixture(scope="module")
def other(gateway: Gateway) -> Mx:
    assert gateway.other_tenant is not None
    return Mx(gateway.base_url, gateway.other_tenant.client_id, gateway.other_tenant.client_secret)


def assert_mx_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/vnd.mx.api.v2beta+json"])
def test_the_accept_header_must_name_v1(mx: Mx, accept: str | None) -> None:
    request = httpx.Request("GET", f"{mx.base_url}/v1/mx/institutions",
                            headers={"authorization": mx.http.headers["authorization"]})  # fmt: skip
    if accept is None:
        request.headers.pop("accept", None)
    else:
        request.headers["accept"] = accept
    with httpx.Client() as client:
        assert_mx_error(client.send(request), 406)


def test_responses_carry_the_mx_media_type(mx: Mx) -> None:
    response = mx.http.get("/institutions", params={"name": "mx bank"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(ACCEPT)
    assert [i["code"] for i in response.json()["institutions"]] == ["mxbank"]
    assert response.json()["pagination"] == {
        "current_page": 1,
        "per_page": 25,
        "total_entries": 1,
        "total_pages": 1,
    }


def test_records_per_page_follows_mx_rules(mx: Mx) -> None:
    def per_page(value: int) -> int:
        pagination: dict[str, int] = mx.http.get("/institutions", params={"records_per_page": value}).json()[
            "pagination"
        ]
        return pagination["per_page"]

    assert (per_page(50), per_page(101), per_page(3)) == (50, 25, 10)
    assert_mx_error(mx.http.get("/institutions", params={"records_per_page": "many"}), 400)


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic !!!", "Basic " + base64.b64encode(b"nobody:wrong").decode(), "Bearer not-a-jwt"],
)
def test_missing_or_wrong_credentials_are_401(mx: Mx, authorization: str | None) -> None:
    headers = {"accept": ACCEPT} | ({"authorization": authorization} if authorization else {})
    response = httpx.get(f"{mx.base_url}/v1/mx/users", headers=headers)
    assert_mx_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Basic")


def test_bad_bodies_are_400_and_write_nothing(mx: Mx) -> None:
    before = mx.http.get("/users").json()["pagination"]["total_entries"]
    bodies: list[Any] = [{}, {"user": {"is_disabled": "often"}}, {"user": []}]
    for body in bodies:
        assert_mx_error(mx.http.post("/users", json=body), 400)
    assert_mx_error(
        mx.http.post("/users", content=b"{not json", headers={"content-type": "application/json"}), 400
    )
    assert mx.http.get("/users").json()["pagination"]["total_entries"] == before

    user = mx.create_user()
    assert_mx_error(
        mx.http.post(f"/users/{user}/members", json={"member": {"institution_code": "mxbank"}}), 400
    )
    unknown = {"member": {"institution_code": "mxbank", "credentials": [{"guid": "CRD-nope", "value": "x"}]}}
    assert_mx_error(mx.http.post(f"/users/{user}/members", json=unknown), 400)
    missing = {"member": {"institution_code": "no_such_bank", "credentials": []}}
    assert_mx_error(mx.http.post(f"/users/{user}/members", json=missing), 404)
    assert mx.http.get(f"/users/{user}/members").json()["members"] == []
    assert_mx_error(mx.http.get(f"/users/{user}/transactions", params={"from_date": "2024-02-30"}), 400)
    backwards = {"from_date": "2024-03-01", "to_date": "2024-02-01"}
    assert_mx_error(mx.http.get(f"/users/{user}/transactions", params=backwards), 400)


def test_duplicate_user_id_is_409(mx: Mx) -> None:
    external = uuid.uuid4().hex
    assert mx.http.post("/users", json={"user": {"id": external}}).status_code == 200
    assert_mx_error(mx.http.post("/users", json={"user": {"id": external}}), 409)


def test_credential_and_mfa_outcomes(mx: Mx) -> None:
    user = mx.create_user()
    assert mx.create_member(user, "wrong", username="someone")["connection_status"] == "DENIED"
    assert mx.create_member(user, "BAD_REQUEST")["connection_status"] == "FAILED"

    challenged = mx.create_member(user, "challenge")
    assert challenged["connection_status"] == "CHALLENGED"
    guid = challenged["guid"]
    challenge = mx.http.get(f"/users/{user}/members/{guid}/challenges").json()["challenges"][0]
    wrong = {"member": {"challenges": [{"guid": challenge["guid"], "value": "wrong"}]}}
    resumed = mx.http.put(f"/users/{user}/members/{guid}/resume", json=wrong)
    assert resumed.status_code == 202
    assert resumed.json()["member"]["connection_status"] == "REJECTED"
    assert_mx_error(mx.http.put(f"/users/{user}/members/{guid}/resume", json=wrong), 409)
    assert_mx_error(mx.http.post(f"/users/{user}/members/{guid}/aggregate"), 409)

    options = mx.create_member(user, "options")
    choice = mx.http.get(f"/users/{user}/members/{options['guid']}/challenges").json()["challenges"][0]
    assert choice["type"] == "OPTIONS"
    value = next(o["value"] for o in choice["options"] if o["label"] == "Correct")
    answer = {"member": {"challenges": [{"guid": choice["guid"], "value": value}]}}
    answered = mx.http.put(f"/users/{user}/members/{options['guid']}/resume", json=answer)
    assert answered.json()["member"]["connection_status"] == "CONNECTED"
    statuses = {
        m["guid"]: m["connection_status"] for m in mx.http.get(f"/users/{user}/members").json()["members"]
    }
    assert sorted(statuses.values()) == ["CONNECTED", "DENIED", "FAILED", "REJECTED"]


def test_user_level_basic_is_limited_to_its_user(mx: Mx) -> None:
    mine, theirs = mx.create_user(), mx.create_user()
    member = mx.create_member(mine, "password")
    limited = {"authorization": basic(mx.client_id, mx.secret, mine), "accept": ACCEPT}
    own = httpx.get(f"{mx.base_url}/v1/mx/users/{mine}/members/{member['guid']}", headers=limited)
    assert own.status_code == 200
    listed = httpx.get(f"{mx.base_url}/v1/mx/users", headers=limited).json()["users"]
    assert [u["guid"] for u in listed] == [mine]
    for path in (f"/users/{theirs}", f"/users/{theirs}/members", f"/users/{theirs}/accounts",
                 f"/users/{theirs}/members/{member['guid']}", f"/users/USR-{uuid.uuid4()}"):  # fmt: skip
        assert_mx_error(httpx.get(f"{mx.base_url}/v1/mx{path}", headers=limited), 403)
    assert_mx_error(httpx.post(f"{mx.base_url}/v1/mx/users", json={"user": {}}, headers=limited), 403)
    for job in JOBS:
        url = f"{mx.base_url}/v1/mx/users/{theirs}/members/{member['guid']}/{job}"
        assert_mx_error(httpx.post(url, headers=limited), 403)
    update = {"member": {"metadata": "x"}}
    url = f"{mx.base_url}/v1/mx/users/{theirs}/members/{member['guid']}"
    assert_mx_error(httpx.put(url, json=update, headers=limited), 403)
    assert_mx_error(httpx.delete(f"{mx.base_url}/v1/mx/users/{mine}", headers=limited), 403)
    wrong_secret = {"authorization": basic(mx.client_id, "nope", mine), "accept": ACCEPT}
    assert_mx_error(httpx.get(f"{mx.base_url}/v1/mx/users/{mine}", headers=wrong_secret), 401)


def test_another_tenants_objects_are_missing(mx: Mx, other: Mx) -> None:
    user = mx.create_user()
    member = mx.create_member(user, "password")["guid"]
    mx.wait_aggregated(user, member)
    account = mx.http.get(f"/users/{user}/accounts").json()["accounts"][0]["guid"]
    transaction = mx.http.get(f"/users/{user}/transactions").json()["transactions"][0]["guid"]
    holding = mx.http.get(f"/users/{user}/investment_holdings").json()["investment_holdings"][0]["guid"]
    paths = [
        f"/users/{user}", f"/users/{user}/members", f"/users/{user}/members/{member}",
        f"/users/{user}/members/{member}/status", f"/users/{user}/members/{member}/challenges",
        f"/users/{user}/members/{member}/credentials", f"/users/{user}/members/{member}/accounts",
        f"/users/{user}/members/{member}/transactions", f"/users/{user}/members/{member}/account_numbers",
        f"/users/{user}/members/{member}/account_owners",
        f"/users/{user}/members/{member}/investment_holdings",
        f"/users/{user}/accounts", f"/users/{user}/accounts/{account}",
        f"/users/{user}/accounts/{account}/transactions", f"/users/{user}/accounts/{account}/account_numbers",
        f"/users/{user}/accounts/{account}/investment_holdings", f"/users/{user}/transactions",
        f"/users/{user}/investment_holdings", f"/users/{user}/members/{member}/accounts/{account}",
        f"/users/{user}/transactions/{transaction}", f"/users/{user}/investment_holdings/{holding}",
    ]  # fmt: skip
    for path in paths:
        assert mx.http.get(path).status_code == 200, path
        assert_mx_error(other.http.get(path), 404)
    # Ids of the caller's own user that belong elsewhere, or cannot exist, answer alike.
    mine = other.create_user()
    for path in (f"/users/{mine}/members/{member}", f"/users/{mine}/accounts/{account}",
                 f"/users/{mine}/members/MBR-nope", f"/users/{mine}/transactions/{transaction}",
                 f"/users/{mine}/investment_holdings/{holding}",
                 f"/users/{mine}/accounts/ACT-{uuid.uuid4()}"):  # fmt: skip
        assert_mx_error(other.http.get(path), 404)
    writes = [("PUT", f"/users/{user}", {"user": {"email": "x@example.com"}}),
              ("DELETE", f"/users/{user}", None),
              ("POST", f"/users/{user}/members/{member}/aggregate", None),
              ("PUT", f"/users/{user}/members/{member}/resume",
               {"member": {"challenges": [{"guid": "CRD-x", "value": "y"}]}}),
              ("PUT", f"/users/{user}/members/{member}", {"member": {"metadata": "x"}}),
              *[("POST", f"/users/{user}/members/{member}/{job}", None) for job in JOBS],
              ("PUT", f"/users/{mine}/members/{member}", {"member": {"metadata": "x"}}),
              *[("POST", f"/users/{mine}/members/{member}/{job}", None) for job in JOBS],
              ("DELETE", f"/users/{user}/members/{member}", None),
              ("POST", f"/users/{user}/connect_widget_url", {})]  # fmt: skip
    for method, path, body in writes:
        assert_mx_error(other.http.request(method, path, json=body), 404)
    assert mx.http.get(f"/users/{user}/members/{member}").json()["member"]["connection_status"] == "CONNECTED"


def test_connect_widget_url_opens_our_connect_page(mx: Mx) -> None:
    user = mx.create_user()
    response = mx.http.post(f"/users/{user}/connect_widget_url", json={"config": {"mode": "aggregation"}})
    assert response.status_code == 200, response.text
    url = response.json()["user"]["connect_widget_url"]
    assert response.json()["user"]["guid"] == user
    assert "/connect?link_session_token=lst-" in url
    token = url.split("link_session_token=")[1]
    session = httpx.get(f"{mx.base_url}/connect/api/session", headers={"link-session-token": token})
    assert session.status_code == 200, session.text
    widget = mx.http.post(
        f"/users/{user}/widget_urls", json={"widget_url": {"widget_type": "connect_widget"}}
    )
    assert widget.json()["widget_url"]["type"] == "connect_widget"
    assert_mx_error(
        mx.http.post(f"/users/{user}/widget_urls", json={"widget_url": {"widget_type": "budgets"}}), 400
    )


def test_mx_webhooks_go_to_the_apps_uri(gateway: Gateway) -> None:
    tenant = sign_up_tenant(gateway.base_url)
    mx = Mx(gateway.base_url, tenant["client_id"], tenant["client_secret"])
    grant = {"grant_type": "client_credentials"} | {k: tenant[k] for k in ("client_id", "client_secret")}
    token = httpx.post(f"{gateway.base_url}/oauth/token", data=grant).json()["token"]
    with WebhookReceiver() as receiver:
        configured = httpx.patch(f"{gateway.base_url}/v1/developer/configuration",
                                 json={"webhook_format": "mx", "webhook_uri": receiver.url},
                                 headers={"authorization": f"Bearer {token}"})  # fmt: skip
        assert configured.status_code == 200, configured.text
        user = mx.create_user()
        member = mx.create_member(user, "password")["guid"]
        mx.create_member(user, "nope", username="stranger")
        wait_until(lambda: len(receiver.requests) >= 2, timeout_s=20, what="two MX webhooks")
        bodies = [json.loads(r.body) for r in receiver.requests]
    aggregation = next(b for b in bodies if b["type"] == "AGGREGATION")
    assert aggregation["action"] == "member_data_updated"
    assert (aggregation["member_guid"], aggregation["user_guid"]) == (member, user)
    assert isinstance(aggregation["completed_at"], int)
    assert aggregation["transactions_created_count"] > 0
    status = next(b for b in bodies if b["type"] == "CONNECTION_STATUS")
    assert (status["action"], status["connection_status"], status["connection_status_id"]) == (
        "CHANGED",
        "DENIED",
        2,
    )
    assert status["user_guid"] == user


def credentials_body(
    mx: Mx, username: str, password: str, institution: str = "mxbank"
) -> list[dict[str, str]]:
    fields = mx.http.get(f"/institutions/{institution}/credentials").json()["credentials"]
    values = {"USERNAME": username, "PASSWORD": password}
    return [{"guid": f["guid"], "value": values[f["field_name"]]} for f in fields]


def test_updated_credentials_connect_challenge_or_deny(mx: Mx) -> None:
    user = mx.create_user()
    denied = mx.create_member(user, "wrong", username="someone")
    assert denied["connection_status"] == "DENIED"
    path = f"/users/{user}/members/{denied['guid']}"
    challenged = mx.http.put(
        path, json={"member": {"credentials": credentials_body(mx, "mxuser", "challenge")}}
    )
    assert challenged.status_code == 200, challenged.text
    assert challenged.json()["member"]["connection_status"] == "CHALLENGED"
    old = mx.http.get(f"{path}/challenges").json()["challenges"][0]

    # New credentials while a challenge waits: the old challenge can no longer be answered.
    again = mx.http.put(path, json={"member": {"credentials": credentials_body(mx, "mxuser", "password")}})
    assert again.json()["member"]["connection_status"] == "CONNECTED"
    stale = {"member": {"challenges": [{"guid": old["guid"], "value": "correct"}]}}
    assert_mx_error(mx.http.put(f"{path}/resume", json=stale), 409)
    mx.wait_aggregated(user, denied["guid"])
    assert mx.http.get(f"{path}/accounts").json()["accounts"]

    refused = mx.http.put(path, json={"member": {"credentials": credentials_body(mx, "someone", "nope")}})
    assert refused.json()["member"]["connection_status"] == "DENIED"
    for job in JOBS:
        assert_mx_error(mx.http.post(f"{path}/{job}"), 409)


def test_updated_credentials_keep_the_accounts_the_member_was_granted(mx: Mx) -> None:
    # user_1 is a static sandbox login: its bank keeps the same account ids from one login to the next.
    user = mx.create_user()
    widget = {"widget_url": {"widget_type": "connect_widget", "current_institution_code": "credentials_bank"}}
    url = mx.http.post(f"/users/{user}/widget_urls", json=widget).json()["widget_url"]["url"]
    page = ConnectPage(mx.base_url, url.split("link_session_token=")[1])
    offered = page.step("/credentials", {"credentials": {"username": "user_1", "password": "pass_good"}})
    assert len(offered["accounts"]) > 1
    page.step("/accounts", {"account_ids": [offered["accounts"][0]["id"]]})
    [member] = mx.http.get(f"/users/{user}/members").json()["members"]
    mx.wait_aggregated(user, member["guid"])
    granted = [a["guid"] for a in mx.http.get(f"/users/{user}/accounts").json()["accounts"]]
    assert len(granted) == 1

    body = {"member": {"credentials": credentials_body(mx, "user_1", "pass_good", "credentials_bank")}}
    updated = mx.http.put(f"/users/{user}/members/{member['guid']}", json=body)
    assert updated.json()["member"]["connection_status"] == "CONNECTED"
    mx.wait_aggregated(user, member["guid"])
    assert [a["guid"] for a in mx.http.get(f"/users/{user}/accounts").json()["accounts"]] == granted


def test_member_updates_refuse_bad_bodies_and_change_nothing(mx: Mx) -> None:
    user = mx.create_user()
    member = mx.create_member(user, "password")["guid"]
    mx.wait_aggregated(user, member)
    path = f"/users/{user}/members/{member}"
    bad: list[Any] = [
        {}, {"member": {}}, {"member": []}, {"member": {"credentials": []}},
        {"member": {"credentials": [{"guid": "CRD-nope", "value": "x"}]}},
        {"member": {"credentials": [{"value": "x"}]}}, {"member": {"use_cases": ["EVERYTHING"]}},
        {"member": {"skip_aggregation": "often"}},
    ]  # fmt: skip
    for body in bad:
        assert_mx_error(mx.http.put(path, json=body), 400)
    assert_mx_error(
        mx.http.put(path, content=b"{not json", headers={"content-type": "application/json"}), 400
    )
    unknown = {"member": {"metadata": "x"}}
    for missing in (f"/users/{user}/members/MBR-nope", f"/users/{user}/members/MBR-{uuid.uuid4()}",
                    f"/users/USR-{uuid.uuid4()}/members/{member}"):  # fmt: skip
        assert_mx_error(mx.http.put(missing, json=unknown), 404)
        for job in JOBS:
            assert_mx_error(mx.http.post(f"{missing}/{job}"), 404)
    after = mx.http.get(path).json()["member"]
    assert (after["connection_status"], after["is_being_aggregated"]) == ("CONNECTED", False)
    kept = mx.http.put(path, json=unknown)
    assert kept.status_code == 200, kept.text
    assert kept.json()["member"]["guid"] == member


def test_jobs_refresh_what_they_name_and_the_reads_follow(mx: Mx) -> None:
    user = mx.create_user()
    member = mx.create_member(user, "password")["guid"]
    mx.wait_aggregated(user, member)
    reads = {"verify": "account_numbers", "identify": "account_owners", "check_balance": "accounts",
             "extend_history": "transactions"}  # fmt: skip
    for job, listed in reads.items():
        started = mx.http.post(f"/users/{user}/members/{member}/{job}")
        assert started.status_code == (200 if job == "verify" else 202), started.text
        assert started.json()["member"]["is_being_aggregated"] is True
        mx.wait_aggregated(user, member)
        assert mx.http.get(f"/users/{user}/members/{member}/{listed}").json()[listed], job


def test_single_transaction_and_holding_reads(mx: Mx) -> None:
    user, neighbour = mx.create_user(), mx.create_user()
    member = mx.create_member(user, "password")["guid"]
    mx.wait_aggregated(user, member)
    listed = mx.http.get(f"/users/{user}/transactions").json()["transactions"][0]
    read = mx.http.get(f"/users/{user}/transactions/{listed['guid']}")
    assert read.status_code == 200, read.text
    assert read.json()["transaction"] == listed
    assert read.json()["transactions"] == [listed]
    holding = mx.http.get(f"/users/{user}/investment_holdings").json()["investment_holdings"][0]
    assert mx.http.get(f"/users/{user}/investment_holdings/{holding['guid']}").json() == {
        "investment_holding": holding
    }
    for bad in ("nope", "TRN-nope", f"TRN-{uuid.uuid4()}", holding["guid"], "TRN-" + "9" * 200):
        assert_mx_error(mx.http.get(f"/users/{user}/transactions/{bad}"), 404)
    for bad in ("nope", "HOL-nope", f"HOL-{uuid.uuid4()}", listed["guid"], "HOL-" + "9" * 200):
        assert_mx_error(mx.http.get(f"/users/{user}/investment_holdings/{bad}"), 404)
    # Another user of the same app does not see them either.
    assert_mx_error(mx.http.get(f"/users/{neighbour}/transactions/{listed['guid']}"), 404)
    assert_mx_error(mx.http.get(f"/users/{neighbour}/investment_holdings/{holding['guid']}"), 404)
    too_long = {"includes": "merchants," * 30}
    assert_mx_error(mx.http.get(f"/users/{user}/transactions/{listed['guid']}", params=too_long), 400)


def test_favorite_institutions(mx: Mx) -> None:
    favorites = mx.http.get("/institutions/favorites")
    assert favorites.status_code == 200, favorites.text
    codes = [i["code"] for i in favorites.json()["institutions"]]
    assert {"credentials_bank", "instant_bank"} <= set(codes)
    assert favorites.json()["pagination"]["total_entries"] == len(codes)
    assert (
        mx.http.get("/institutions/favorites", params={"iso_country_code": "CA"}).json()["institutions"] == []
    )
    assert_mx_error(mx.http.get("/institutions/favorites", params={"records_per_page": "many"}), 400)
    assert_mx_error(mx.http.get("/institutions/favorites", params={"iso_country_code": "USA"}), 400)
    too_many = {"iso_country_code": ["US"] * 51}
    assert_mx_error(mx.http.get("/institutions/favorites", params=too_many), 400)


def served_mx_routes() -> set[tuple[str, str]]:
    """(method, path template with anonymous parameters) of every route the gateway serves under /v1/mx."""
    served = set()
    for route in (route for module in ROUTERS for route in module.router.routes):
        if isinstance(route, APIRoute):
            template = re.sub(r"\{[^}]+\}", "{}", route.path)
            served |= {(method.lower(), template) for method in route.methods or ()}
    return served


def test_described_paths_we_do_not_serve_are_404(mx: Mx) -> None:
    """Every path of MX's description that Linkgate does not serve answers a plain 404 in MX's shape
    (never a route with a parameter taking it for a bad id); a described method we do not serve on a
    path we do is a 405."""
    user = mx.create_user()
    member = mx.create_member(user, "password")["guid"]
    mx.wait_aggregated(user, member)
    account = mx.http.get(f"/users/{user}/accounts").json()["accounts"][0]["guid"]
    ids = {"user_guid": user, "member_guid": member, "account_guid": account, "institution_code": "mxbank"}
    served = served_mx_routes()
    served_paths = {template for _, template in served}
    description = conformance_openapi.load("mx-v20111101.yml")
    checked = 0
    for template, item in description.document["paths"].items():
        anonymous = re.sub(r"\{[^}]+\}", "{}", template)
        path = re.sub(r"\{([^}]+)\}", lambda m: ids.get(m.group(1), f"XYZ-{uuid.uuid4()}"), template)
        for method in (m for m in item if m in conformance_openapi.METHODS):
            if (method, anonymous) in served:
                continue
            response = mx.http.request(method.upper(), path, json={} if method in ("post", "put") else None)
            expected = 405 if anonymous in served_paths else 404
            assert_mx_error(response, expected)
            if expected == 404:
                assert response.json()["error"]["message"] == NotFound.default_message, (method, path)
            checked += 1
    assert checked > 100
