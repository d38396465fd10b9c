"""Yodlee's integer ids are issued with the rows they name (gateway/integer_ids; transactions carry
theirs in a column the database fills): creating and refreshing a link numbers every user, provider
account, consent, account, transaction and holding, and a Yodlee read only looks numbers up, writing
nothing at all."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, exists, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.integer_ids.repository import IdKind, holding_key
from gateway.links.refresh import refresh_service
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.models import Account, EndUser, Holding, Link, RefreshJob, Transaction, YodleeId
from gateway.settings import Settings
from gateway.state import AppState
from providers.registry import ProviderRegistry
from providers.sandbox.adapter import SandboxProvider
from tests.integration.platform.conftest import make_tenant
from workers.durable import Succeeded, claim

VERSION = {"Api-Version": "1.1"}
GOOD_LOGIN = [{"id": "username", "value": "user_good"}, {"id": "password", "value": "pass_good"}]
NUMBERED = ((IdKind.user, EndUser), (IdKind.provider_account, Link), (IdKind.consent, Link),
            (IdKind.account, Account))  # fmt: skip


@contextmanager
def statements_of(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def yodlee_token(client: httpx.AsyncClient, client_id: str, secret: str, login: str | None) -> str:
    headers = VERSION | ({"loginName": login} if login else {})
    form = {"clientId": client_id, "secret": secret}
    response = await client.post("/v2/yodlee/auth/token", headers=headers, data=form)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]["accessToken"]
    return token


async def run_refresh(state: AppState, settings: Settings, link_id: uuid.UUID, redis_client: Any) -> None:
    """The link's pending refresh, run here as a worker would (the task it enqueued is dropped)."""
    redis_client.flushdb()
    async with state.database.unit_of_work() as session:
        job = await session.scalar(
            select(RefreshJob).where(RefreshJob.link_id == link_id, RefreshJob.status == "pending")
        )
        assert job is not None
        attempt = await claim(session, REFRESH_JOBS, job.id, lease_s=30)
    assert attempt is not None
    providers = ProviderRegistry({"sandbox": SandboxProvider()})
    result = await refresh_service.attempt(state.database, settings, providers, job.id, attempt)
    assert isinstance(result, Succeeded)


async def unnumbered(state: AppState, app_id: uuid.UUID) -> dict[str, int]:
    """How many of the app's rows of each kind have no number (all zero when every write issued one)."""
    counts: dict[str, int] = {}
    async with state.database.unit_of_work() as session:
        for kind, model in NUMBERED:
            numbered = exists().where(
                YodleeId.app_id == model.app_id, YodleeId.kind == kind.value, YodleeId.entity_id == model.id
            )
            statement = select(func.count()).select_from(model).where(model.app_id == app_id, ~numbered)
            counts[kind.value] = int(await session.scalar(statement) or 0)
        without_number = select(func.count()).where(
            Transaction.app_id == app_id, Transaction.number.is_(None)
        )
        counts["transaction"] = int(await session.scalar(without_number) or 0)
        holdings = (await session.execute(select(Holding).where(Holding.app_id == app_id))).scalars().all()
        assert holdings, "the sandbox link holds investments"
        keys = [holding_key(row.account_id, row.security_id) for row in holdings]
        found = await session.scalars(
            select(YodleeId.entity_id).where(
                YodleeId.app_id == app_id, YodleeId.kind == "holding", YodleeId.entity_id.in_(keys)
            )
        )
        counts["holding"] = len(set(keys) - set(found))
    return counts


async def test_writes_issue_every_number_and_yodlee_reads_write_nothing(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, redis_client: Any
) -> None:
    tenant = await make_tenant(client)
    state: AppState = app.state.linkgate
    app_id = uuid.UUID(tenant.app_id)
    login = f"ysl-{uuid.uuid4().hex[:8]}"
    token = await yodlee_token(client, tenant.client_id, tenant.client_secret, login)
    admin = await yodlee_token(client, tenant.client_id, tenant.client_secret, None)
    user_headers = VERSION | {"authorization": f"Bearer {token}"}
    added = await client.post(
        "/v2/yodlee/providerAccounts?providerId=100001", headers=user_headers, json={"field": GOOD_LOGIN}
    )
    assert added.status_code == 201, added.text
    provider_account_id = added.json()["providerAccount"][0]["id"]
    async with state.database.unit_of_work() as session:
        link_id = await session.scalar(select(Link.id).where(Link.app_id == app_id))
    assert link_id is not None
    await run_refresh(state, settings, link_id, redis_client)
    assert await unnumbered(state, app_id) == {
        "user": 0, "provider_account": 0, "consent": 0, "account": 0, "transaction": 0, "holding": 0
    }  # fmt: skip

    today = dt.date.today()
    window = {"fromDate": (today - dt.timedelta(days=365)).isoformat(), "toDate": today.isoformat()}
    now = dt.datetime.now(dt.UTC)
    extract_window = {
        "fromDate": (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "toDate": (now + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    with statements_of(state.database.engine) as seen:
        bodies = {}
        for path, params in (
            ("/user", {}), ("/providerAccounts", {}), (f"/providerAccounts/{provider_account_id}", {}),
            ("/accounts", {}), ("/transactions", window), ("/transactions/count", window),
            ("/holdings", {}), ("/accounts/historicalBalances", {}),
        ):  # fmt: skip
            response = await client.get(f"/v2/yodlee{path}", headers=user_headers, params=params)
            assert response.status_code == 200, (path, response.text)
            bodies[path] = response.json()
        extract = await client.get(
            "/v2/yodlee/dataExtracts/userData",
            headers=VERSION | {"authorization": f"Bearer {admin}"},
            params=extract_window | {"loginName": login},
        )
        assert extract.status_code == 200, extract.text
    writes = [s for s in seen if s.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert seen
    assert writes == []

    async with state.database.unit_of_work() as session:
        issued = {
            kind: set(
                await session.scalars(
                    select(YodleeId.id).where(YodleeId.app_id == app_id, YodleeId.kind == kind)
                )
            )
            for kind in ("user", "account", "holding")
        }
        transaction_numbers = list(
            await session.scalars(select(Transaction.number).where(Transaction.app_id == app_id))
        )
        issued["transaction"] = {number for number in transaction_numbers if number is not None}
    assert len(issued["transaction"]) == len(transaction_numbers)  # one number each, none missing
    assert bodies["/user"]["user"]["id"] in issued["user"]
    assert {a["id"] for a in bodies["/accounts"]["account"]} <= issued["account"]
    transactions = bodies["/transactions"]["transaction"]
    assert transactions
    assert {t["id"] for t in transactions} <= issued["transaction"]
    holdings = bodies["/holdings"]["holding"]
    assert holdings
    assert {h["id"] for h in holdings} <= issued["holding"]
    assert {t["id"] for t in extract.json()["userData"][0]["transaction"]} == {t["id"] for t in transactions}
