"""A user or item token minted for organization X never reads or changes a link of organization Y.

One app with organizations `org_x` and `org_y`; one end user with one connected link in `org_y`.
Tokens for `org_x` (an item token naming that link, a user token naming that user) try the link on
every collection's read and write routes; each answer must equal the answer for a link id that does
not exist (request ids aside), and the link must be untouched. Tokens for `org_y` see it (so the
comparison is not between two refusals of a link nobody can see).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from formats.mx.render import credential_guid
from formats.mx.render import guid as mx_guid
from formats.plaid import ids as plaid_ids
from gateway.end_users.service import new_end_user, store_end_user
from gateway.integer_ids.repository import IdKind, issue, numbers_of
from gateway.links.access_tokens import issue_access_token
from gateway.links.repository import store_link
from gateway.models.account import Account
from gateway.models.developer import Organization
from gateway.models.link import Link
from gateway.state import AppState
from tests.integration.platform.conftest import Tenant

MX = {"accept": "application/vnd.mx.api.v1+json"}
YODLEE = {"Api-Version": "1.1"}
PRODUCTS = ["accounts", "account_numbers", "identity", "transactions", "investments"]


@dataclass(frozen=True)
class Ids:
    """How each collection names one link (and its end user)."""

    link: str  # MoneyKit link id
    member: str  # MX member guid
    provider_account: int  # Yodlee providerAccountId
    item: str  # Plaid item_id


@dataclass
class World:
    tenant: Tenant
    user_guid: str
    customer_id: str
    real: Ids
    missing: Ids


async def make_world(app: FastAPI, tenant: Tenant) -> World:
    for key in ("org_x", "org_y"):
        created = await tenant.http.post(
            f"/v1/dashboard/apps/{tenant.app_id}/organizations", json={"id": key, "name": key},
            headers=tenant.dashboard,
        )  # fmt: skip
        assert created.status_code == 201, created.text
    app_id, customer_id = uuid.UUID(tenant.app_id), f"cust-{uuid.uuid4().hex[:8]}"
    state: AppState = app.state.linkgate
    async with state.database.unit_of_work() as session:
        user = await store_end_user(session, new_end_user(app_id, external_id=customer_id))
        link = Link(
            id=uuid.uuid4(), app_id=app_id, end_user_id=user.id, institution_id="credentials_bank",
            provider="sandbox", state="connected", products=PRODUCTS,
            organization_id=await session.scalar(
                select(Organization.id).where(Organization.app_id == app_id, Organization.key == "org_y")
            ),
        )  # fmt: skip
        await store_link(session, link)
        account = Account(
            app_id=app_id, link_id=link.id, provider_account_id="acc-1", name="Checking", type="depository",
            subtype="checking", mask="0001", balance_current=Decimal("10"),
        )  # fmt: skip
        session.add(account)
        await session.flush()
        await issue(session, app_id, IdKind.account, [account.id])
        await issue_access_token(session, link, prefix="access-sandbox-")
        missing_id = uuid.uuid4()  # a number issued for a row that does not exist
        await issue(session, app_id, IdKind.provider_account, [missing_id])
        numbers = await numbers_of(session, app_id, IdKind.provider_account, [link.id, missing_id])
        user_guid = user.guid
    real = Ids(str(link.id), mx_guid("member", link.id), numbers[link.id], plaid_ids.encode(link.id))
    missing = Ids(
        str(missing_id), mx_guid("member", missing_id), numbers[missing_id], plaid_ids.encode(missing_id)
    )
    return World(tenant, user_guid, customer_id, real, missing)


@dataclass(frozen=True)
class Attempt:
    """One route tried with a token of `kind` (`item`: naming the link; `user`: naming its user)."""

    kind: str
    method: str
    path: str  # {link}, {member}, {pa}, {user}, {customer} filled from Ids / the world
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()


ATTEMPTS = {
    # MoneyKit: item and user tokens, reads and writes
    "moneykit link": Attempt("item", "GET", "/v1/moneykit/links/{link}"),
    "moneykit accounts": Attempt("item", "GET", "/v1/moneykit/links/{link}/accounts"),
    "moneykit transactions": Attempt("user", "GET", "/v1/moneykit/links/{link}/transactions"),
    "moneykit links": Attempt("user", "GET", "/v1/moneykit/links"),
    "moneykit user links": Attempt("user", "GET", "/v1/moneykit/users/{customer}/links"),
    "moneykit user accounts": Attempt("user", "GET", "/v1/moneykit/users/{customer}/accounts"),
    "moneykit update": Attempt("item", "PATCH", "/v1/moneykit/links/{link}", {"tags": ["x"]}),
    "moneykit refresh": Attempt(
        "item", "POST", "/v1/moneykit/links/{link}/products", {"products": ["accounts"]}
    ),
    "moneykit delete": Attempt("item", "DELETE", "/v1/moneykit/links/{link}"),
    # Plaid: an item token stands for the access token
    "plaid item": Attempt("item", "POST", "/v1/plaid/item/get", {}),
    "plaid accounts": Attempt("item", "POST", "/v1/plaid/accounts/get", {}),
    "plaid sync": Attempt("item", "POST", "/v1/plaid/transactions/sync", {}),
    "plaid webhook": Attempt(
        "item", "POST", "/v1/plaid/item/webhook/update", {"webhook": "http://127.0.0.1:9/h"}
    ),
    "plaid liabilities": Attempt("item", "POST", "/v1/plaid/liabilities/get", {}),
    "plaid recurring": Attempt("item", "POST", "/v1/plaid/transactions/recurring/get", {}),
    "plaid identity match": Attempt(
        "item", "POST", "/v1/plaid/identity/match", {"user": {"legal_name": "Alberta Bobbeth Charleson"}}
    ),
    "plaid invalidate": Attempt("item", "POST", "/v1/plaid/item/access_token/invalidate", {}),
    "plaid remove": Attempt("item", "POST", "/v1/plaid/item/remove", {}),
    # MX: user tokens
    "mx member": Attempt("user", "GET", "/v1/mx/users/{user}/members/{member}", headers=tuple(MX.items())),
    "mx member accounts": Attempt(
        "user", "GET", "/v1/mx/users/{user}/members/{member}/accounts", headers=tuple(MX.items())
    ),
    "mx members": Attempt("user", "GET", "/v1/mx/users/{user}/members", headers=tuple(MX.items())),
    "mx accounts": Attempt("user", "GET", "/v1/mx/users/{user}/accounts", headers=tuple(MX.items())),
    "mx aggregate": Attempt(
        "user", "POST", "/v1/mx/users/{user}/members/{member}/aggregate", headers=tuple(MX.items())
    ),
    **{
        f"mx {job}": Attempt(
            "user", "POST", f"/v1/mx/users/{{user}}/members/{{member}}/{job}", headers=tuple(MX.items())
        )
        for job in ("verify", "identify", "check_balance", "extend_history")
    },
    "mx member transactions": Attempt(
        "user", "GET", "/v1/mx/users/{user}/members/{member}/transactions", headers=tuple(MX.items())
    ),
    "mx delete": Attempt("user", "DELETE", "/v1/mx/users/{user}/members/{member}", headers=tuple(MX.items())),
    # Yodlee: user tokens
    "yodlee provider account": Attempt(
        "user", "GET", "/v2/yodlee/providerAccounts/{pa}", headers=tuple(YODLEE.items())
    ),
    "yodlee provider accounts": Attempt(
        "user", "GET", "/v2/yodlee/providerAccounts", headers=tuple(YODLEE.items())
    ),
    "yodlee accounts": Attempt(
        "user", "GET", "/v2/yodlee/accounts?providerAccountId={pa}", headers=tuple(YODLEE.items())
    ),
    "yodlee refresh": Attempt(
        "user",
        "PUT",
        "/v2/yodlee/providerAccounts?providerAccountIds={pa}",
        {},
        headers=tuple(YODLEE.items()),
    ),
    "yodlee delete": Attempt(
        "user", "DELETE", "/v2/yodlee/providerAccounts/{pa}", headers=tuple(YODLEE.items())
    ),
    # the developer endpoints
    "developer item": Attempt("item", "GET", "/v1/developer/item"),
}


async def token_for(world: World, kind: str, organization: str, ids: Ids) -> str:
    if kind == "item":
        return await world.tenant.token(item_id=ids.link, organization=organization)
    return await world.tenant.token(guid=world.user_guid, organization=organization)


async def attempt(world: World, tried: Attempt, organization: str, ids: Ids) -> httpx.Response:
    path = tried.path.format(link=ids.link, member=ids.member, pa=ids.provider_account,
                             user=world.user_guid, customer=world.customer_id)  # fmt: skip
    headers = dict(tried.headers) | {
        "authorization": f"Bearer {await token_for(world, tried.kind, organization, ids)}"
    }
    return await world.tenant.http.request(tried.method, path, json=tried.body, headers=headers)


def marks(ids: Ids) -> list[str]:
    """What would show the link in any collection's answer (routes without an id in their path list)."""
    number = ids.provider_account
    return [ids.link, ids.member, ids.item, f'"providerAccountId":{number}', f'"id":{number},']


def answer(response: httpx.Response) -> tuple[int, Any]:
    """The status and body, without what differs between any two requests."""
    if not response.content:
        return response.status_code, None
    body = response.json()
    for key in ("request_id", "referenceCode"):
        if isinstance(body, dict):
            body.pop(key, None)
            if isinstance(body.get("error"), dict):
                body["error"].pop(key, None)
    return response.status_code, body


@pytest.fixture
async def world(app: FastAPI, tenant: Tenant) -> World:
    return await make_world(app, tenant)


async def link_state(world: World) -> str:
    token = await token_for(world, "item", "org_y", world.real)
    response = await world.tenant.http.get(
        f"/v1/moneykit/links/{world.real.link}", headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    state: str = response.json()["state"]
    return state


@pytest.mark.parametrize("name", ATTEMPTS)
async def test_another_organizations_link_answers_like_a_missing_one(world: World, name: str) -> None:
    tried = ATTEMPTS[name]
    state_before = await link_state(world)
    from_x = await attempt(world, tried, "org_x", world.real)
    missing = await attempt(world, tried, "org_x", world.missing)
    assert answer(from_x) == answer(missing), (from_x.text, missing.text)
    assert not any(mark in from_x.text.replace(" ", "") for mark in marks(world.real)), from_x.text
    assert await link_state(world) == state_before


@pytest.mark.parametrize("name", [n for n, a in ATTEMPTS.items() if a.method == "GET"])
async def test_the_links_own_organization_sees_it(world: World, name: str) -> None:
    tried = ATTEMPTS[name]
    from_y = await attempt(world, tried, "org_y", world.real)
    from_x = await attempt(world, tried, "org_x", world.real)
    assert from_y.status_code == 200, from_y.text
    assert answer(from_y) != answer(from_x)


async def test_unregistering_from_another_organization_leaves_the_user_and_link(world: World) -> None:
    token = await token_for(world, "user", "org_x", world.real)
    headers = YODLEE | {"authorization": f"Bearer {token}"}
    response = await world.tenant.http.delete("/v2/yodlee/user/unregister", headers=headers)
    assert response.status_code == 204
    assert await link_state(world) == "connected"


async def test_a_link_made_with_an_organizations_token_belongs_to_that_organization(world: World) -> None:
    token = await token_for(world, "user", "org_x", world.real)
    fields = {"username": "user_good", "password": "pass_good"}
    credentials = [
        {"guid": credential_guid("credentials_bank", name), "value": value} for name, value in fields.items()
    ]
    body = {"member": {"institution_code": "credentials_bank", "credentials": credentials}}
    base = f"/v1/mx/users/{world.user_guid}/members"
    created = await world.tenant.http.post(base, json=body, headers=MX | {"authorization": f"Bearer {token}"})
    assert created.status_code == 202, created.text
    member = created.json()["member"]["guid"]

    async def read_as(headers: dict[str, str]) -> int:
        return (await world.tenant.http.get(f"{base}/{member}", headers=MX | headers)).status_code

    assert await read_as({"authorization": f"Bearer {token}"}) == 200
    other = await token_for(world, "user", "org_y", world.real)
    assert await read_as({"authorization": f"Bearer {other}"}) == 404
    assert await read_as(world.tenant.basic(world.user_guid)) == 404  # user-level Basic is `default`
    assert await read_as(world.tenant.basic()) == 200  # the whole app sees every organization


async def test_a_link_made_in_connect_for_an_organizations_token_belongs_to_that_organization(
    world: World,
) -> None:
    token = await token_for(world, "user", "org_x", world.real)
    bearer = {"authorization": f"Bearer {token}"}
    base = f"/v1/mx/users/{world.user_guid}"
    http = world.tenant.http
    widget = await http.post(f"{base}/connect_widget_url", headers=MX | bearer)
    assert widget.status_code == 200, widget.text
    session_token = widget.json()["user"]["connect_widget_url"].split("link_session_token=")[1]
    steps = {"link-session-token": session_token}
    steps["x-csrf-token"] = (await http.get("/connect/api/session", headers=steps)).json()["csrf_token"]
    login = {"credentials": {"username": "user_good", "password": "pass_good"}}
    for path, body in (("institution", {"institution_id": "credentials_bank"}), ("credentials", login)):
        step = await http.post(f"/connect/api/session/{path}", json=body, headers=steps)
        assert step.status_code == 200, step.text
    offered = [account["id"] for account in step.json()["accounts"]]
    finished = await http.post("/connect/api/session/accounts", json={"account_ids": offered}, headers=steps)
    assert finished.status_code == 200, finished.text

    async def members_as(headers: dict[str, str]) -> int:
        listed = await http.get(f"{base}/members", headers=MX | headers)
        assert listed.status_code == 200, listed.text
        total: int = listed.json()["pagination"]["total_entries"]
        return total

    assert await members_as(bearer) == 1
    assert await members_as(world.tenant.basic(world.user_guid)) == 0  # `default` sees none of org_x's
    assert await members_as(world.tenant.basic()) == 2  # the app: org_y's link and this one


async def test_a_token_of_a_deleted_organization_makes_no_link(world: World) -> None:
    """Deleted after its token was issued, an organization's token may not make a link (it would land in
    `default`, out of its own sight and in `default`'s)."""
    created = await world.tenant.http.post(
        f"/v1/dashboard/apps/{world.tenant.app_id}/organizations", json={"id": "org_gone", "name": "gone"},
        headers=world.tenant.dashboard,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    token = await token_for(world, "user", "org_gone", world.real)
    deleted = await world.tenant.http.delete(
        f"/v1/dashboard/apps/{world.tenant.app_id}/organizations/org_gone", headers=world.tenant.dashboard
    )
    assert deleted.status_code == 204, deleted.text
    base = f"/v1/mx/users/{world.user_guid}"
    widget = await world.tenant.http.post(
        f"{base}/connect_widget_url", headers=MX | {"authorization": f"Bearer {token}"}
    )
    assert widget.status_code == 401, widget.text
    listed = await world.tenant.http.get(f"{base}/members", headers=MX | world.tenant.basic())
    assert listed.json()["pagination"]["total_entries"] == 1  # org_y's link only
