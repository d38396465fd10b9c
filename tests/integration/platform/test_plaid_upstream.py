"""Plaid as an upstream (providers/plaid/), against the fake Plaid in tests/fakes/plaid/ running as a real
HTTP server: Connect's widget handoff, the synced data read back, webhooks, adoption, removal, keys.

The gateway runs in-process (its upstream calls are real HTTP to the fake); refreshes and disconnects
are run here as a worker runs them. Every request the gateway sent is checked against Plaid's OpenAPI
file by the fake (`state.violations`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from gateway.app import create_app
from gateway.links.disconnects import UPSTREAM_DISCONNECTS, attempt_disconnect
from gateway.links.refresh import refresh_service
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.maintenance.queries import purge_disconnects_finished_before
from gateway.models import Link, RefreshJob, Transaction, UpstreamDisconnect, WebhookEvent
from gateway.models.base import utcnow
from gateway.settings import Settings
from gateway.state import AppState
from providers.plaid.adapter import PlaidProvider
from providers.plaid.client import PlaidClient
from providers.plaid.settings import PlaidKeys
from tests.fakes.plaid import DEFAULT_CREDENTIALS, Item, PlaidState, RunningPlaid, running_plaid
from tests.integration.platform.conftest import Tenant, gateway_settings, make_tenant
from tests.support.receiver import WebhookReceiver
from workers.durable import Failed, Outcome, RetryLater, Succeeded, run_durable

PLATYPUS = "ins_109508"  # the fake's non-OAuth bank
CLIENT_ID, SECRET = DEFAULT_CREDENTIALS


@pytest.fixture
def plaid() -> Iterator[RunningPlaid]:
    with running_plaid(PlaidState()) as running:
        yield running


@pytest.fixture
async def app(settings: Settings, plaid: RunningPlaid) -> AsyncIterator[FastAPI]:
    """The gateway with the operator's Plaid keys, pointed at the fake as an operator points it at Plaid."""
    configured = gateway_settings(
        settings, plaid_client_id=CLIENT_ID, plaid_secret=SecretStr(SECRET), plaid_base_url=plaid.base_url,
        plaid_link_script_url=plaid.state.link_script_url,
    )  # fmt: skip
    application = create_app(configured)
    async with application.router.lifespan_context(application):
        yield application


def linkgate(app: FastAPI) -> AppState:
    state: AppState = app.state.linkgate
    return state


async def run_refresh(app: FastAPI, link_id: uuid.UUID, redis_client: Any) -> Outcome | None:
    """The link's pending refresh, run here as a worker runs it (the task it enqueued is dropped)."""
    redis_client.flushdb()
    state = linkgate(app)
    async with state.database.unit_of_work() as session:
        job = await session.scalar(
            select(RefreshJob).where(RefreshJob.link_id == link_id, RefreshJob.status == "pending")
        )
        assert job is not None

    async def perform(row_id: uuid.UUID, attempt: int) -> Outcome:
        return await refresh_service.attempt(state.database, state.settings, state.providers, row_id, attempt)

    return await run_durable(state.database, REFRESH_JOBS, job.id, state.settings, perform)


async def ask_refresh(client: httpx.AsyncClient, tenant: Tenant, link_id: str) -> None:
    asked = await client.post(
        f"/v1/moneykit/links/{link_id}/products",
        json={"products": ["transactions"]},
        headers=await tenant.bearer(),
    )
    assert asked.status_code == 202, asked.text


async def transactions_of(app: FastAPI, link_id: uuid.UUID) -> set[str]:
    async with linkgate(app).database.unit_of_work() as session:
        rows = await session.scalars(
            select(Transaction.provider_transaction_id).where(
                Transaction.link_id == link_id, Transaction.removed_at.is_(None)
            )
        )
        return set(rows)


async def adopt(client: httpx.AsyncClient, tenant: Tenant, access_token: str, status: int = 201) -> str:
    adopted = await client.post(
        "/v1/providers/plaid/items", json={"access_token": access_token, "user_id": "customer-1"},
        headers=await tenant.bearer(),
    )  # fmt: skip
    assert adopted.status_code == status, adopted.text
    link_id: str = adopted.json()["link_id"]
    return link_id


async def adopted_item(client: httpx.AsyncClient, plaid: RunningPlaid) -> tuple[Tenant, Item, str]:
    """A new tenant, an Item at the fake's bank, and the link the tenant adopted it as."""
    tenant = await make_tenant(client)
    item = plaid.state.create_item(institution_id=PLATYPUS)
    return tenant, item, await adopt(client, tenant, item.access_token)


async def connect_headers(client: httpx.AsyncClient, session_token: str) -> dict[str, str]:
    """What Connect's page sends with every step: the session token and its CSRF token."""
    headers = {"link-session-token": session_token}
    headers["x-csrf-token"] = (await client.get("/connect/api/session", headers=headers)).json()["csrf_token"]
    return headers


async def grant_and_exchange(
    client: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str], completed: httpx.Response
) -> str:
    """Share every account Connect offers, then exchange as the app does; the link's id."""
    offered = [a["id"] for a in completed.json()["accounts"]]
    granted = await client.post(
        "/connect/api/session/accounts", json={"account_ids": offered}, headers=headers
    )
    assert granted.status_code == 200, granted.text
    exchanged = await client.post(
        "/v1/moneykit/link-session/exchange-token",
        json={"exchangeable_token": granted.json()["exchangeable_token"]}, headers=await tenant.bearer(),
    )  # fmt: skip
    assert exchanged.status_code == 201, exchanged.text
    link_id: str = exchanged.json()["link_id"]
    return link_id


async def test_connect_links_a_plaid_bank_through_link_and_its_data_is_read(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant = await make_tenant(client)
    body = {
        "customer_user": {"id": "customer-1"},
        "settings": {"products": {"transactions": {"required": True}}},
    }
    made = await client.post("/v1/moneykit/link-session", json=body, headers=await tenant.bearer())
    assert made.status_code == 201, made.text
    headers = await connect_headers(client, made.json()["link_session_token"])

    # Searching finds Plaid's bank (asked of Plaid once), shown with Link as its handoff.
    found = await client.get("/connect/api/institutions", params={"query": "Platypus"}, headers=headers)
    assert found.status_code == 200, found.text
    bank = next(i for i in found.json()["institutions"] if i["institution_id"] == f"plaid_{PLATYPUS}")
    assert (bank["handoff"], bank["name"]) == ("widget", "First Platypus Bank")
    choice = {"institution_id": bank["institution_id"]}
    chosen = await client.post("/connect/api/session/institution", json=choice, headers=headers)
    assert chosen.status_code == 200, chosen.text
    begun = await client.post("/connect/api/session/handoff", headers=headers)
    assert begun.status_code == 200, begun.text
    handoff = begun.json()["handoff"]
    assert (handoff["kind"], handoff["script_url"]) == ("widget", plaid.state.link_script_url)
    made_token = plaid.state.link_tokens[-1]
    base = linkgate(app).settings.base_url.rstrip("/")
    assert made_token.link_token == handoff["options"]["token"]
    assert made_token.products == ["transactions"]
    assert made_token.webhook == f"{base}/v1/providers/plaid/webhooks"
    assert made_token.redirect_uri == f"{base}/connect/callback/plaid"
    assert made_token.client_user_id is not None  # Linkgate's id of the end user, nothing personal

    # Link succeeds: its public token is exchanged, the accounts offered, the link made.
    public_token = plaid.state.complete_link(made_token.link_token, institution_id=PLATYPUS)
    completed = await client.post("/connect/api/session/widget", json={"public_token": public_token},
                                  headers=headers)  # fmt: skip
    assert completed.status_code == 200, completed.text
    assert completed.json()["state"] == "choosing_accounts"
    link_id = uuid.UUID(await grant_and_exchange(client, tenant, headers, completed))

    assert isinstance(await run_refresh(app, link_id, redis_client), Succeeded)
    item_id = plaid.state.items()[-1].item_id
    expected = {t.transaction_id for t in plaid.state.transactions(item_id)}
    assert expected
    assert await transactions_of(app, link_id) == expected
    read = await client.get(f"/v1/moneykit/links/{link_id}/transactions", params={"size": 100},
                            headers=await tenant.bearer())  # fmt: skip
    assert read.status_code == 200, read.text
    assert read.json()["total"] == len(expected)
    async with linkgate(app).database.unit_of_work() as db:
        link = await db.get(Link, link_id)
        assert link is not None
        assert (link.provider, link.provider_link_id, link.state) == ("plaid", item_id, "connected")
        assert link.transactions_cursor  # the cursor Plaid gave, kept for the next sync
    assert plaid.state.violations == []


async def test_a_verified_webhook_refreshes_and_a_forged_or_stale_one_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant = await make_tenant(client)
    item = plaid.state.create_item(institution_id=PLATYPUS)
    link_id = uuid.UUID(await adopt(client, tenant, item.access_token))
    assert isinstance(await run_refresh(app, link_id, redis_client), Succeeded)
    added = plaid.state.add_transactions(
        item.item_id, [{"amount": 7.25, "name": "Webhook Coffee", "date": "2026-12-01"}]
    )

    with WebhookReceiver() as receiver:

        async def relay(**tampering: Any) -> httpx.Response:
            """A webhook Plaid sends (to a local receiver), handed to Linkgate byte for byte."""
            for name, value in tampering.items():
                setattr(plaid.state.webhook_tampering, name, value)
            delivery = plaid.state.fire_webhook(item.item_id, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE",
                                                url=receiver.url)  # fmt: skip
            for name in tampering:
                setattr(
                    plaid.state.webhook_tampering, name, type(getattr(plaid.state.webhook_tampering, name))()
                )
            signature = delivery.headers["Plaid-Verification"]
            return await client.post("/v1/providers/plaid/webhooks", content=delivery.body, headers={
                "content-type": "application/json", "plaid-verification": signature,
            })  # fmt: skip

        for refused in (await relay(stale_iat_s=301), await relay(wrong_body_hash=True),
                        await relay(foreign_key=True)):  # fmt: skip
            assert refused.status_code == 401, refused.text
        async with linkgate(app).database.unit_of_work() as db:
            waiting = await db.scalar(
                select(RefreshJob).where(RefreshJob.link_id == link_id, RefreshJob.status == "pending")
            )
        assert waiting is None  # nothing changed
        accepted = await relay()
        assert accepted.status_code == 200, accepted.text
    assert isinstance(await run_refresh(app, link_id, redis_client), Succeeded)
    assert set(added) <= await transactions_of(app, link_id)
    assert plaid.state.violations == []


async def test_adopting_an_item_twice_answers_its_link_and_deleting_it_removes_the_item_upstream(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant, item, link_id = await adopted_item(client, plaid)
    assert await adopt(client, tenant, item.access_token, status=200) == link_id
    refused = await client.post("/v1/providers/plaid/items", json={"access_token": "access-sandbox-nope",
                                "user_id": "customer-1"}, headers=await tenant.bearer())  # fmt: skip
    assert refused.status_code == 400, refused.text
    assert isinstance(await run_refresh(app, uuid.UUID(link_id), redis_client), Succeeded)

    deleted = await client.delete(f"/v1/moneykit/links/{link_id}", headers=await tenant.bearer())
    assert deleted.status_code == 204, deleted.text
    state = linkgate(app)
    async with state.database.unit_of_work() as session:
        row = await session.scalar(
            select(UpstreamDisconnect).where(UpstreamDisconnect.link_id == uuid.UUID(link_id))
        )
        assert row is not None

    async def perform(row_id: uuid.UUID, attempt: int) -> Outcome:
        return await attempt_disconnect(state.database, state.settings, state.providers, row_id, attempt)

    redis_client.flushdb()  # no worker here: the disconnect runs as a worker runs it
    outcome = await run_durable(state.database, UPSTREAM_DISCONNECTS, row.id, state.settings, perform)
    assert isinstance(outcome, Succeeded)
    assert [r.status for r in plaid.state.requests_to("/item/remove")] == [200]
    async with state.database.unit_of_work() as session:
        done = await session.get(UpstreamDisconnect, row.id)
        assert done is not None
        assert (done.status, done.credentials_encrypted) == ("succeeded", None)  # the access token is gone
        # The retention purge removes the record once it is old enough.
        assert await purge_disconnects_finished_before(session, utcnow() + dt.timedelta(seconds=1)) >= 1
        assert await session.get(UpstreamDisconnect, row.id) is None
    assert plaid.state.violations == []


async def test_an_upstream_that_fails_then_recovers_and_keys_plaid_refuses(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant, item, link_id = await adopted_item(client, plaid)
    plaid.state.inject("/accounts/get", "INTERNAL_SERVER_ERROR")
    assert isinstance(await run_refresh_retry(app, uuid.UUID(link_id), redis_client), RetryLater)
    plaid.state.inject("/transactions/sync", "RATE_LIMIT_EXCEEDED")
    assert isinstance(await run_refresh_retry(app, uuid.UUID(link_id), redis_client), RetryLater)
    assert isinstance(await run_refresh_retry(app, uuid.UUID(link_id), redis_client), Succeeded)

    # The app brings its own keys, and Plaid refuses them: shown in its provider status, not retried.
    url = f"/v1/dashboard/apps/{tenant.app_id}/providers/plaid"
    wrong = {"enabled": True, "credentials": {"client_id": CLIENT_ID, "secret": "not-the-secret"}}
    assert (await client.put(url, json=wrong, headers=tenant.dashboard)).status_code == 200
    await ask_refresh(client, tenant, link_id)
    assert isinstance(await run_refresh(app, uuid.UUID(link_id), redis_client), Failed)
    listed = (await client.get(url.removesuffix("/plaid"), headers=tenant.dashboard)).json()["providers"]
    status = next(p for p in listed if p["provider"] == "plaid")
    assert status["problem"] is not None
    assert "INVALID_API_KEYS" in status["problem"]
    assert "not-the-secret" not in str(status)
    right = {"enabled": True, "credentials": {"client_id": CLIENT_ID, "secret": SECRET}}
    assert (await client.put(url, json=right, headers=tenant.dashboard)).json()["problem"] is None
    assert plaid.state.violations == []


async def run_refresh_retry(app: FastAPI, link_id: uuid.UUID, redis_client: Any) -> Outcome | None:
    """Run the link's due refresh (a retried one is made due again first: no waiting here)."""
    async with linkgate(app).database.unit_of_work() as session:
        job = await session.scalar(
            select(RefreshJob).where(RefreshJob.link_id == link_id, RefreshJob.status == "pending")
        )
        assert job is not None
        job.next_run_at = job.created_at
    return await run_refresh(app, link_id, redis_client)


class MutatingClient(PlaidClient):
    """Plaid's data changes right after the first page of a sync loop (the fake then refuses the loop's
    next page, as Plaid does): a test's hook on a real client, every call still real HTTP."""

    def __init__(self, client: PlaidClient, plaid: RunningPlaid, item_id: str) -> None:
        super().__init__(client.http, client.settings)
        self.plaid, self.item_id, self.mutated = plaid, item_id, False

    async def call(self, keys: PlaidKeys, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        answer = await super().call(keys, endpoint, body)
        if endpoint == "/transactions/sync" and answer["has_more"] and not self.mutated:
            self.plaid.state.mutate_during_pagination(self.item_id)
            self.mutated = True
        return answer


async def test_a_sync_loop_restarts_from_its_first_cursor_when_plaid_data_changes_under_it(
    app: FastAPI, plaid: RunningPlaid
) -> None:
    item = plaid.state.create_item(institution_id=PLATYPUS)
    plaid.state.generate(item.item_id, 1_200)
    registered = linkgate(app).providers.get("plaid")
    assert isinstance(registered, PlaidProvider)
    adapter = PlaidProvider.for_operator(
        registered.settings, MutatingClient(registered.client, plaid, item.item_id)
    )
    delta = await adapter.transactions({"access_token": item.access_token}, None)
    assert {t.provider_transaction_id for t in delta.upserted} == {
        t.transaction_id for t in plaid.state.transactions(item.item_id)
    }
    sync = plaid.state.requests_to("/transactions/sync")
    # One page, the refused continuation, then the whole loop again from the first cursor (3 pages).
    assert [r.status for r in sync] == [200, 400, 200, 200, 200]
    assert sync[1].error_code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    restarted = sync[2].body
    assert isinstance(restarted, dict)
    assert "cursor" not in restarted
    assert plaid.state.violations == []


async def test_a_link_that_needs_its_login_again_is_repaired_in_link_update_mode(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant = await make_tenant(client)
    # The app names its users by its own ids, as MoneyKit's customer_user.id does.
    configured = await client.patch("/v1/developer/configuration", json={"user_id_field": "id"},
                                    headers=await tenant.bearer())  # fmt: skip
    assert configured.status_code == 200, configured.text
    item = plaid.state.create_item(institution_id=PLATYPUS)
    link_id = await adopt(client, tenant, item.access_token)
    assert isinstance(await run_refresh(app, uuid.UUID(link_id), redis_client), Succeeded)
    plaid.state.require_login(item.item_id)
    await ask_refresh(client, tenant, link_id)
    assert isinstance(await run_refresh(app, uuid.UUID(link_id), redis_client), Failed)
    read = await client.get(f"/v1/moneykit/links/{link_id}", headers=await tenant.bearer())
    assert (read.json()["state"], read.json()["error_code"]) == ("error", "auth_expired")

    body = {"customer_user": {"id": "customer-1"}, "existing_link_id": link_id}
    made = await client.post("/v1/moneykit/link-session", json=body, headers=await tenant.bearer())
    assert made.status_code == 201, made.text
    headers = await connect_headers(client, made.json()["link_session_token"])
    begun = await client.post("/connect/api/session/handoff", headers=headers)
    assert begun.status_code == 200, begun.text
    update = plaid.state.link_tokens[-1]
    assert update.update_item_id == item.item_id  # the same Item, in update mode
    assert update.products == []
    public_token = plaid.state.complete_link(update.link_token)
    completed = await client.post("/connect/api/session/widget", json={"public_token": public_token},
                                  headers=headers)  # fmt: skip
    assert completed.status_code == 200, completed.text
    assert await grant_and_exchange(client, tenant, headers, completed) == link_id  # the link is kept
    assert isinstance(await run_refresh(app, uuid.UUID(link_id), redis_client), Succeeded)
    read = await client.get(f"/v1/moneykit/links/{link_id}", headers=await tenant.bearer())
    assert read.json()["state"] == "connected"
    assert plaid.state.requests_to("/item/public_token/exchange") == []  # update mode keeps the access token
    assert plaid.state.violations == []


async def test_plaids_item_webhooks_change_the_links_state_or_reach_the_app(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant, item, link_id = await adopted_item(client, plaid)
    assert isinstance(await run_refresh(app, uuid.UUID(link_id), redis_client), Succeeded)

    async def link_state() -> tuple[str, str | None]:
        read = (await client.get(f"/v1/moneykit/links/{link_id}", headers=await tenant.bearer())).json()
        return read["state"], read.get("error_code")

    async def events() -> list[str]:
        async with linkgate(app).database.unit_of_work() as session:
            rows = await session.scalars(
                select(WebhookEvent.event_type).where(WebhookEvent.link_id == uuid.UUID(link_id))
                .order_by(WebhookEvent.created_at)
            )  # fmt: skip
            return list(rows)

    with WebhookReceiver() as receiver:

        async def relay(webhook_type: str, code: str, **fields: Any) -> None:
            delivery = plaid.state.fire_webhook(item.item_id, webhook_type, code, url=receiver.url, **fields)
            signature = delivery.headers["Plaid-Verification"]
            answered = await client.post("/v1/providers/plaid/webhooks", content=delivery.body, headers={
                "content-type": "application/json", "plaid-verification": signature,
            })  # fmt: skip
            assert answered.status_code == 200, answered.text

        login_required = {
            "error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED", "display_message": None,
            "error_message": "the item's login details changed",
        }  # fmt: skip
        await relay("ITEM", "ERROR", error=login_required)
        assert await link_state() == ("error", "auth_expired")
        await relay("ITEM", "LOGIN_REPAIRED")
        assert await link_state() == ("connected", None)
        await relay("ITEM", "PENDING_EXPIRATION", consent_expiration_time="2027-01-01T00:00:00Z")
        await relay("ITEM", "NEW_ACCOUNTS_AVAILABLE")
        await relay("ITEM", "USER_PERMISSION_REVOKED", error=None)
        assert await link_state() == ("error", "auth_expired")
    assert (await events())[-6:] == [
        "link.state_changed", "link.login_repaired", "link.state_changed", "link.consent_expiring",
        "link.new_accounts_available", "link.state_changed",
    ]  # fmt: skip
    async with linkgate(app).database.unit_of_work() as session:
        revoked = await session.scalar(
            select(WebhookEvent.payload).where(WebhookEvent.link_id == uuid.UUID(link_id))
            .order_by(WebhookEvent.created_at.desc()).limit(1)
        )  # fmt: skip
    # Plaid-format apps hear USER_PERMISSION_REVOKED; the other formats, the link needing its user.
    assert revoked == {"state": "error", "error": "auth_expired", "reason": "user_permission_revoked"}
    assert plaid.state.violations == []


async def test_every_product_is_read_from_plaid(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant = await make_tenant(client)
    item = plaid.state.create_item(institution_id=PLATYPUS, products=("transactions", "auth", "identity",
                                                                      "investments"))  # fmt: skip
    link_id = await adopt(client, tenant, item.access_token)
    assert isinstance(await run_refresh(app, uuid.UUID(link_id), redis_client), Succeeded)
    headers = await tenant.bearer()
    numbers = (await client.get(f"/v1/moneykit/links/{link_id}/accounts/numbers", headers=headers)).json()
    assert {n["account_number"] for a in numbers["accounts"] for n in a["numbers"]["ach"]} == {
        account.account_number
        for account in plaid.state.item(item.item_id).accounts.values()
        if account.spec.type == "depository"
    }  # fmt: skip
    identity = (await client.get(f"/v1/moneykit/links/{link_id}/identity", headers=headers)).json()
    assert all(owner["names"] for a in identity["accounts"] for owner in a["owners"])
    holdings = (
        await client.get(f"/v1/moneykit/links/{link_id}/investments/holdings", headers=headers)
    ).json()
    assert sorted(float(h["quantity"]) for h in holdings["holdings"]) == [10.0, 50.76]
    assert {r.endpoint for r in plaid.state.requests} >= {
        "/accounts/get", "/auth/get", "/identity/get", "/transactions/sync", "/investments/holdings/get",
        "/investments/transactions/get",
    }  # fmt: skip
    assert plaid.state.violations == []


async def test_a_bank_that_is_down_shows_as_such_and_data_not_ready_shows_nothing(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid, redis_client: Any
) -> None:
    tenant, _, link_id = await adopted_item(client, plaid)

    async def transactions_error() -> str | None:
        read = (await client.get(f"/v1/moneykit/links/{link_id}", headers=await tenant.bearer())).json()
        status: dict[str, Any] = read["products"].get("transactions") or {}
        return status.get("error_code")

    plaid.state.inject("/transactions/sync", "PRODUCT_NOT_READY")
    assert isinstance(await run_refresh_retry(app, uuid.UUID(link_id), redis_client), RetryLater)
    assert await transactions_error() is None  # still gathering: nothing wrong to show
    plaid.state.inject("/accounts/get", "INSTITUTION_DOWN")
    assert isinstance(await run_refresh_retry(app, uuid.UUID(link_id), redis_client), RetryLater)
    assert await transactions_error() == "institution_error"
    assert isinstance(await run_refresh_retry(app, uuid.UUID(link_id), redis_client), Succeeded)
    assert await transactions_error() is None
    read = (await client.get(f"/v1/moneykit/links/{link_id}", headers=await tenant.bearer())).json()
    assert read["state"] == "connected"


@pytest.fixture
async def keyless_app(settings: Settings, plaid: RunningPlaid) -> AsyncIterator[FastAPI]:
    """The gateway with Plaid at the fake but no operator keys: apps bring their own."""
    configured = gateway_settings(settings, plaid_base_url=plaid.base_url)
    application = create_app(configured)
    async with application.router.lifespan_context(application):
        yield application


async def test_an_app_with_its_own_keys_links_and_hears_plaids_webhooks_without_operator_keys(
    keyless_app: FastAPI, plaid: RunningPlaid
) -> None:
    transport = httpx.ASGITransport(app=keyless_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        tenant = await make_tenant(client)
        url = f"/v1/dashboard/apps/{tenant.app_id}/providers/plaid"
        own = {"enabled": True, "credentials": {"client_id": CLIENT_ID, "secret": SECRET}}
        assert (await client.put(url, json=own, headers=tenant.dashboard)).status_code == 200
        item = plaid.state.create_item(institution_id=PLATYPUS)
        link_id = await adopt(client, tenant, item.access_token)
        with WebhookReceiver() as receiver:
            delivery = plaid.state.fire_webhook(item.item_id, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE",
                                                url=receiver.url)  # fmt: skip
        answered = await client.post("/v1/providers/plaid/webhooks", content=delivery.body, headers={
            "content-type": "application/json", "plaid-verification": delivery.headers["Plaid-Verification"],
        })  # fmt: skip
        assert answered.status_code == 200, answered.text
        async with linkgate(keyless_app).database.unit_of_work() as session:
            triggers = await session.scalars(
                select(RefreshJob.trigger).where(RefreshJob.link_id == uuid.UUID(link_id))
            )
            assert "webhook" in set(triggers)
    assert [r.client_id for r in plaid.state.requests_to("/webhook_verification_key/get")] == [CLIENT_ID]


async def test_adopting_refuses_bad_input_other_scopes_and_unavailable_upstreams_storing_nothing(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid
) -> None:
    tenant = await make_tenant(client)
    headers = await tenant.bearer()
    item = plaid.state.create_item(institution_id=PLATYPUS)
    url = "/v1/providers/plaid/items"
    for body in ({}, {"access_token": item.access_token}, {"access_token": "", "user_id": "u"},
                 {"access_token": "has space", "user_id": "u"},
                 {"access_token": item.access_token, "user_id": "u", "extra": 1},
                 {"access_token": "a" * 257, "user_id": "u"}):  # fmt: skip
        refused = await client.post(url, json=body, headers=headers)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["code"] == "validation_failed"
    malformed = await client.post(url, content=b"{", headers=headers | {"content-type": "application/json"})
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "invalid_json")
    assert (await client.post(url, json={"access_token": "x", "user_id": "u"})).status_code == 401
    reader_id, reader_secret = await tenant.new_key("reader", scopes=["data:read"])
    grant = {"grant_type": "client_credentials", "client_id": reader_id, "client_secret": reader_secret}
    minted = await client.post("/oauth/token", data=grant)
    reader = {"authorization": f"Bearer {minted.json()['token']}"}
    good = {"access_token": item.access_token, "user_id": "u"}
    assert (await client.post(url, json=good, headers=reader)).status_code == 403
    assert (await client.post("/v1/providers/simplefin/items", json=good, headers=headers)).status_code == 404
    plaid.state.inject("/item/get", "INTERNAL_SERVER_ERROR")
    unavailable = await client.post(url, json=good, headers=headers)
    assert unavailable.status_code == 503, unavailable.text
    async with linkgate(app).database.unit_of_work() as session:
        stored = await session.scalar(select(Link.id).where(Link.app_id == uuid.UUID(tenant.app_id)))
    assert stored is None  # nothing was adopted by any refused request
    assert plaid.state.violations == []


async def test_connects_widget_step_refuses_bad_input_and_a_token_plaid_refuses_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, plaid: RunningPlaid
) -> None:
    tenant = await make_tenant(client)
    body = {"customer_user": {"id": "customer-1"}, "institution_id": "credentials_bank"}
    made = await client.post("/v1/moneykit/link-session", json=body, headers=await tenant.bearer())
    headers = await connect_headers(client, made.json()["link_session_token"])
    widget = "/connect/api/session/widget"
    for bad in ({}, {"public_token": ""}, {"public_token": "p" * 513}):
        assert (await client.post(widget, json=bad, headers=headers)).status_code == 422
    # Credentials Bank takes a login, not a widget's token.
    assert (await client.post(widget, json={"public_token": "public-x"}, headers=headers)).status_code == 409
    no_csrf = {"link-session-token": headers["link-session-token"]}
    assert (await client.post(widget, json={"public_token": "public-x"}, headers=no_csrf)).status_code == 403

    made = await client.post("/v1/moneykit/link-session", json={"customer_user": {"id": "customer-1"}},
                             headers=await tenant.bearer())  # fmt: skip
    headers = await connect_headers(client, made.json()["link_session_token"])
    await client.get("/connect/api/institutions", params={"query": "Platypus"}, headers=headers)
    choice = {"institution_id": f"plaid_{PLATYPUS}"}
    chosen = await client.post("/connect/api/session/institution", json=choice, headers=headers)
    assert chosen.status_code == 200, chosen.text
    assert (await client.post("/connect/api/session/handoff", headers=headers)).status_code == 200
    refused = await client.post(widget, json={"public_token": "public-sandbox-forged"}, headers=headers)
    assert refused.status_code == 200, refused.text
    assert (refused.json()["state"], refused.json()["handoff_error"] is not None) == (
        "institution_selected",
        True,
    )
    async with linkgate(app).database.unit_of_work() as session:
        stored = await session.scalar(select(Link.id).where(Link.app_id == uuid.UUID(tenant.app_id)))
    assert stored is None
