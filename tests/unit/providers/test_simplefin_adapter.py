"""The SimpleFIN adapter against the fake Bridge (tests/fakes/simplefin) over real HTTP on loopback:
the token handoff, one read per refresh, and every way the Bridge fails becoming the right error."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from gateway.outbound.transport import outbound_client
from providers.base import Connected, ReconnectRequired, RetryLater, TransactionsWindow
from providers.simplefin.adapter import SimpleFinProvider
from providers.simplefin.client import SimpleFinClient
from providers.simplefin.settings import SimpleFinSettings
from tests.fakes.simplefin import BridgeState, FakeClock, Fault, RunningBridge, running_bridge

NOW = 1_767_268_800  # 2026-01-01 12:00:00 UTC
HOUR, DAY = 3_600, 86_400
LOOPBACK = SimpleFinSettings(allowed_hosts=("127.0.0.1",), require_https=False, timeout_s=2.0)


@pytest.fixture(scope="module")
def bridge() -> Iterator[RunningBridge]:
    with running_bridge(BridgeState(clock=FakeClock(NOW))) as running:
        yield running


@dataclass
class World:
    state: BridgeState
    adapter: SimpleFinProvider

    def token(self) -> dict[str, str]:
        return {"token": self.state.mint_setup_token().token}


@pytest.fixture
async def world(bridge: RunningBridge) -> AsyncIterator[World]:
    state = bridge.state
    state.reset()
    state.clock.set(NOW)
    state.add_connection("CON-1", name="My Bank (Jill)", org_id="ORG-1", org_name="My Bank")
    state.add_account("ACT-1", conn_id="CON-1", name="Everyday Checking 4321", balance="1200.00")
    state.add_account("ACT-2", conn_id="CON-1", name="Visa Credit Card", balance="-80.00")
    state.add_transaction("ACT-1", "TRN-1", posted=NOW - 3 * DAY, amount="-4.50", description="COFFEE")
    state.add_pending("ACT-1", "TRN-P", transacted_at=NOW - HOUR, amount="-20.00", description="GROCER")
    async with outbound_client(timeout_s=5, allow_private_networks=True, user_agent="test") as http:

        def clock() -> dt.datetime:
            return dt.datetime.fromtimestamp(state.clock(), dt.UTC)

        yield World(state, SimpleFinProvider(LOOPBACK, SimpleFinClient(http, LOOPBACK), clock=clock))


async def connected(world: World) -> Connected:
    result = await world.adapter.complete("bridge", {}, world.token())
    assert isinstance(result, Connected)
    return result


async def test_a_setup_token_is_claimed_once_and_names_the_bank(world: World) -> None:
    token = world.token()
    result = await world.adapter.complete("bridge", {}, token)
    assert isinstance(result, Connected)
    assert result.institution is not None
    assert (result.institution.provider_institution_id, result.institution.name) == ("ORG-1", "My Bank")
    assert result.accounts is not None
    assert [a.provider_account_id for a in result.accounts] == ["CON-1/ACT-1", "CON-1/ACT-2"]
    assert str(result.state["access_url"]).startswith("http://")  # it carries the Basic credentials
    username = str(world.state.requests()[-1].username)
    assert result.provider_link_id.startswith("sfin-")
    assert username not in result.provider_link_id  # stored in the clear: nothing of the credentials
    with pytest.raises(ReconnectRequired, match="already used") as again:
        await world.adapter.complete("bridge", {}, token)
    assert again.value.error_code == "user_input_incorrect"
    claims = [r for r in world.state.requests() if r.endpoint == "claim"]
    assert [r.status for r in claims] == [200, 403]
    accounts = [r for r in world.state.requests() if r.endpoint == "accounts"]
    assert len(accounts) == 1  # connecting reads the grant once; the account list is not read again
    assert ("balances-only", "1") in accounts[0].query


async def test_one_refresh_is_one_request_with_pending_and_a_start_date(world: World) -> None:
    connection = (await connected(world)).state
    before = len(world.state.requests())
    fetched = await world.adapter.read(connection, ["accounts", "transactions"], None)
    (request,) = world.state.requests()[before:]
    query = dict(request.query)
    assert (query["pending"], query["version"]) == ("1", "2")
    first_day = dt.datetime.fromtimestamp(NOW - LOOPBACK.history_days * DAY, dt.UTC).date()
    assert int(query["start-date"]) == int(dt.datetime.combine(first_day, dt.time(), dt.UTC).timestamp())
    window = fetched.transactions
    assert isinstance(window, TransactionsWindow)
    assert window.start == first_day
    assert window.accounts == ("CON-1/ACT-1", "CON-1/ACT-2")
    pending = {t.provider_transaction_id: t.pending for t in window.transactions}
    assert pending == {"CON-1/ACT-1/TRN-1": False, "CON-1/ACT-1/TRN-P": True}
    card = next(a for a in fetched.accounts if a.type == "liability")
    assert card.balance_current == Decimal("80.00")


async def test_the_next_window_starts_the_overlap_before_the_last_read(world: World) -> None:
    connection = (await connected(world)).state
    first = (await world.adapter.read(connection, ["transactions"], None)).transactions
    assert isinstance(first, TransactionsWindow)
    world.state.clock.advance(2 * DAY)
    world.state.post_pending("ACT-1", "TRN-P", posted=NOW + DAY, new_id="TRN-9")
    second = (await world.adapter.read(connection, ["transactions"], first.next_cursor)).transactions
    assert isinstance(second, TransactionsWindow)
    assert second.start == dt.date(2026, 1, 1) - dt.timedelta(days=LOOPBACK.overlap_days)
    ids = {t.provider_transaction_id: t.pending for t in second.transactions}
    assert ids == {"CON-1/ACT-1/TRN-1": False, "CON-1/ACT-1/TRN-9": False}


async def test_a_failing_account_is_left_out_of_the_window_not_the_link(world: World) -> None:
    connection = (await connected(world)).state
    world.state.fail_account("ACT-2", omit=False)
    fetched = await world.adapter.read(connection, ["transactions"], None)
    assert isinstance(fetched.transactions, TransactionsWindow)
    assert fetched.transactions.accounts == ("CON-1/ACT-1",)
    assert fetched.account_errors == {"CON-1/ACT-2": "institution_error"}
    assert [a.provider_account_id for a in fetched.accounts] == ["CON-1/ACT-1", "CON-1/ACT-2"]


@pytest.mark.parametrize(
    ("breakage", "error_code"),
    [("revoke", "auth_expired"), ("payment", "auth_expired"), ("reauth", "auth_expired")],
)
async def test_lost_access_needs_the_end_user(world: World, breakage: str, error_code: str) -> None:
    connection = (await connected(world)).state
    if breakage == "revoke":
        world.state.revoke_access(world.state.requests()[-1].username or "")
    elif breakage == "payment":
        world.state.set_payment_required()
    else:
        world.state.require_reauth("CON-1")
    with pytest.raises(ReconnectRequired) as raised:
        await world.adapter.read(connection, ["transactions"], None)
    assert raised.value.error_code == error_code


@pytest.mark.parametrize("fault", [Fault.CLOUDFLARE_403, Fault.CLOUDFLARE_429, Fault.GARBAGE])
async def test_bridge_trouble_is_retried_later(world: World, fault: Fault) -> None:
    connection = (await connected(world)).state
    world.state.inject_fault(fault, endpoints=["accounts"])
    with pytest.raises(RetryLater):
        await world.adapter.read(connection, ["transactions"], None)


async def test_a_bridge_that_never_answers_times_out(world: World) -> None:
    connection = (await connected(world)).state
    world.state.inject_fault(Fault.HANG, endpoints=["accounts"])
    with pytest.raises(RetryLater, match="in time"):
        await world.adapter.read(connection, ["transactions"], None)
    world.state.release_hung_requests()


@pytest.mark.parametrize("fault", [Fault.GARBAGE, Fault.CLOUDFLARE_429, Fault.HANG])
async def test_a_claim_that_fails_tells_the_end_user_and_stores_nothing(world: World, fault: Fault) -> None:
    world.state.inject_fault(fault, endpoints=["claim"])
    with pytest.raises(ReconnectRequired, match="could not be used just now") as raised:
        await world.adapter.complete("bridge", {}, world.token())
    assert raised.value.error_code == "institution_error"
    world.state.release_hung_requests()


async def test_a_private_address_is_refused_where_the_deployment_refuses_them(world: World) -> None:
    anywhere = SimpleFinSettings(allowed_hosts=("*",), require_https=False, timeout_s=2.0)
    async with outbound_client(timeout_s=2, allow_private_networks=False, user_agent="test") as http:
        adapter = SimpleFinProvider(anywhere, SimpleFinClient(http, anywhere))
        with pytest.raises(ReconnectRequired, match="non-public address") as raised:
            await adapter.complete("bridge", {}, world.token())
    assert raised.value.error_code == "institution_error"
    assert world.state.requests() == []  # refused before anything was sent


async def test_plain_http_is_refused_where_https_is_required(world: World) -> None:
    strict = SimpleFinSettings(allowed_hosts=("127.0.0.1",), require_https=True)
    async with httpx.AsyncClient() as http:
        adapter = SimpleFinProvider(strict, SimpleFinClient(http, strict))
        with pytest.raises(ReconnectRequired, match="https") as raised:
            await adapter.complete("bridge", {}, world.token())
    assert raised.value.error_code == "user_input_incorrect"
    assert world.state.requests() == []


async def test_compressed_answers_are_read(world: World, bridge: RunningBridge) -> None:
    """Behind Cloudflare the Bridge compresses its answers; the reads above all went through that."""
    access = world.state.issue_access()
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{access.url}/accounts", params={"start-date": NOW - DAY, "version": "2"})
    assert answer.headers["content-encoding"] == "gzip"
    connection = (await connected(world)).state
    fetched = await world.adapter.read(connection, ["transactions"], None)
    assert len(fetched.accounts) == 2
