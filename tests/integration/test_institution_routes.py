"""One directory, several routes: an institution two providers reach is one entry, and a link repaired
through the other provider keeps its id, its accounts and their transaction history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy import delete, func, select

from gateway.crypto import SecretBox
from gateway.end_users.service import get_or_create_end_user
from gateway.institutions.catalog import routes_of, sync_institutions
from gateway.links import connect
from gateway.links.refresh import refresh_service
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.links.service import link_service
from gateway.models import Account, Institution, InstitutionRoute, Link, RefreshJob, Transaction
from gateway.upstreams.configuration import provider_configuration
from providers.base import ConnectResult, InstitutionInfo, NormalizedAccount, ProviderState, TransactionsDelta
from providers.registry import ProviderRegistry
from providers.sandbox.adapter import SandboxProvider
from providers.sandbox.institutions import CREDENTIALS_BANK
from workers.durable import Succeeded, claim

MIRROR_ID = "cb-mirror"


class MirrorProvider(SandboxProvider):
    """A second upstream reaching Credentials Bank (same web address) under its own ids."""

    name = "mirror"

    async def institutions(self) -> Sequence[InstitutionInfo]:
        return [
            replace(CREDENTIALS_BANK, provider_institution_id=MIRROR_ID, name="Credentials Bank (mirror)")
        ]

    async def complete(
        self, provider_institution_id: str, pending: ProviderState, submitted: Mapping[str, str]
    ) -> ConnectResult:
        assert provider_institution_id == MIRROR_ID
        return await super().complete("credentials_bank", pending, submitted)

    async def accounts(self, connection: ProviderState) -> Sequence[NormalizedAccount]:
        return [
            replace(a, provider_account_id="m-" + a.provider_account_id)
            for a in await super().accounts(connection)
        ]

    async def transactions(self, connection: ProviderState, since: str | None) -> TransactionsDelta:
        """The same transactions under the mirror's own ids, described in its own capitals."""
        delta = await super().transactions(connection, since)
        mirrored = tuple(
            replace(t, provider_transaction_id="m-" + t.provider_transaction_id,
                    provider_account_id="m-" + t.provider_account_id, description=t.description.upper(),
                    pending_transaction_id=t.pending_transaction_id and "m-" + t.pending_transaction_id)
            for t in delta.upserted
        )  # fmt: skip
        return replace(delta, upserted=mirrored)


PROVIDERS = ProviderRegistry(
    {"sandbox": SandboxProvider(), "mirror": MirrorProvider()}, priority=["sandbox", "mirror"]
)
LOGIN = {"username": "user_1", "password": "pass_good"}


async def link_through_connect(
    database, box: SecretBox, app_id: uuid.UUID, user_id: uuid.UUID, link: Link | None
) -> uuid.UUID:
    """Connect's steps for a new link at Credentials Bank, or a repair of `link`; every account granted."""
    async with database.unit_of_work() as session:
        token = await connect.create_session(
            session, app_id=app_id, end_user_id=user_id, redirect_uri=None, products=["transactions"],
            institution_id="credentials_bank" if link is None else None, existing_link=link,
        )  # fmt: skip
    async with database.unit_of_work() as session:
        link_session = await connect.open_session(session, token)
        await connect.submit_credentials(session, link_session, box, PROVIDERS, LOGIN)
        offered = [account["id"] for account in link_session.settings["accounts"]]
        await connect.choose_accounts(session, link_session, offered)
        assert link_session.link_id is not None
        stored = await session.get(Link, link_session.link_id)
        assert stored is not None
        await link_service.complete_exchange(session, stored)
        return link_session.link_id


async def refresh(database, settings, link_id: uuid.UUID, redis_client) -> None:
    redis_client.flushdb()  # no worker here: this test runs the attempt itself
    async with database.unit_of_work() as session:
        due = select(RefreshJob).where(RefreshJob.link_id == link_id, RefreshJob.status == "pending")
        job = (await session.execute(due)).scalars().first()
        assert job is not None
        attempt = await claim(session, REFRESH_JOBS, job.id, lease_s=30)
    assert attempt is not None
    assert isinstance(
        await refresh_service.attempt(database, settings, PROVIDERS, job.id, attempt), Succeeded
    )


async def accounts_and_history(database, link_id: uuid.UUID) -> tuple[dict[uuid.UUID, str], int]:
    async with database.unit_of_work() as session:
        accounts = await session.execute(
            select(Account.id, Account.provider_account_id).where(Account.link_id == link_id)
        )
        count = select(func.count()).where(Transaction.link_id == link_id, Transaction.removed_at.is_(None))
        return dict(accounts.all()), (await session.execute(count)).scalar_one()


async def live_transactions(database, link_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, int | None]]:
    """The link's transactions not removed: Linkgate id → (provider id, Yodlee number)."""
    async with database.unit_of_work() as session:
        rows = await session.execute(
            select(Transaction.id, Transaction.provider_transaction_id, Transaction.number).where(
                Transaction.link_id == link_id, Transaction.removed_at.is_(None)
            )
        )
        return {row.id: (row.provider_transaction_id, row.number) for row in rows}


async def test_a_link_repaired_through_another_provider_keeps_its_accounts_and_history(
    database, settings, sandbox_app, redis_client
) -> None:
    box = SecretBox(settings.master_key())
    try:
        async with database.unit_of_work() as session:
            await sync_institutions(session, PROVIDERS)
            routes = await routes_of(session, ["credentials_bank"], {"mirror"})
            mirror = routes["credentials_bank"]  # merged into Credentials Bank, not a second bank
            assert mirror.provider_institution_id == MIRROR_ID
            assert mirror.credential_fields == [vars(field) for field in CREDENTIALS_BANK.credential_fields]
            user = await get_or_create_end_user(session, sandbox_app.app_id, f"c-{uuid.uuid4().hex[:8]}")
        link_id = await link_through_connect(database, box, sandbox_app.app_id, user.id, None)
        await refresh(database, settings, link_id, redis_client)
        before, history = await accounts_and_history(database, link_id)
        assert history > 0
        assert all(not provider_id.startswith("m-") for provider_id in before.values())

        # The sandbox route goes away for this app and the link needs its user: the repair takes the mirror.
        async with database.unit_of_work() as session:
            await provider_configuration.update(
                session, box, sandbox_app.app_id, PROVIDERS, "sandbox", enabled=False, credentials=None
            )
            link = await session.get(Link, link_id)
            assert link is not None
            await link_service.force_reconnect(session, link, "auth_expired")
        repaired = await link_through_connect(database, box, sandbox_app.app_id, user.id, link)
        assert repaired == link_id
        async with database.unit_of_work() as session:
            stored = await session.get(Link, link_id)
            assert stored is not None
            assert (stored.provider, stored.state, stored.transactions_cursor) == (
                "mirror",
                "connected",
                None,
            )
            assert sorted(stored.permitted_accounts) == sorted("m-" + p for p in before.values())
        after, kept = await accounts_and_history(database, link_id)
        assert after == {account_id: "m-" + provider_id for account_id, provider_id in before.items()}
        assert kept == history
        held = await live_transactions(database, link_id)
        await refresh(database, settings, link_id, redis_client)  # the mirror's first read lands on them
        assert set((await accounts_and_history(database, link_id))[0]) == set(before)
        # Its transactions are the ones held, under its ids: handed over, not created a second time.
        handed_over = await live_transactions(database, link_id)
        assert set(handed_over) == set(held)
        assert {i: ("m-" + provider_id, n) for i, (provider_id, n) in held.items()} == handed_over
        async with database.unit_of_work() as session:
            handed = await session.get(Link, link_id)
            assert handed is not None
            assert handed.handover_from is None
    finally:
        async with database.unit_of_work() as session:
            await session.execute(delete(InstitutionRoute).where(InstitutionRoute.provider == "mirror"))


def bank(provider_institution_id: str, name: str, url: str, *routing: str) -> InstitutionInfo:
    return replace(CREDENTIALS_BANK, provider_institution_id=provider_institution_id, name=name, url=url,
                   routing_numbers=routing)  # fmt: skip


async def test_two_providers_entries_with_a_routing_number_in_common_are_one_institution(database) -> None:
    """Different web addresses, one routing number: one bank with two routes (found by a search)."""
    registry = ProviderRegistry({"sandbox": SandboxProvider(), "mirror": MirrorProvider()})
    river = f"river-{uuid.uuid4().hex[:8]}"
    try:
        async with database.unit_of_work() as session:
            await sync_institutions(session, registry, discovered={
                "sandbox": [bank(river, "River Bank", f"https://{river}.example", "021000021", "021000089")],
                "mirror": [bank(f"m-{river}", "River Bank N.A.", f"https://{river}-na.example", "021000089")],
            })  # fmt: skip
            routes = (await session.execute(
                select(InstitutionRoute.provider, InstitutionRoute.institution_id)
                .where(InstitutionRoute.provider_institution_id.in_([river, f"m-{river}"]))
            )).all()  # fmt: skip
            assert sorted(routes) == [("mirror", river), ("sandbox", river)]
            assert await session.get(Institution, f"mirror_m-{river}") is None
    finally:
        async with database.unit_of_work() as session:
            await session.execute(delete(InstitutionRoute).where(InstitutionRoute.institution_id == river))
            await session.execute(delete(Institution).where(Institution.id == river))
