"""Refreshing a link: ask its provider for every granted product, then apply it all in one transaction.

Provider calls happen outside any transaction. The apply step locks the link, writes every product,
advances the provider cursor, records events, and marks the job done, all in one commit, fenced by
the attempt number, so a retried or superseded attempt can never apply a refresh twice.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.db import Database
from gateway.links.connection_state import open_state
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.links.repository import link_reader
from gateway.links.service import link_service
from gateway.metrics.definitions import DURABLE_JOB_RUNS, REFRESH_DURATION, REFRESHES
from gateway.metrics.labels import PROVIDERS
from gateway.models.base import utcnow
from gateway.models.link import Link
from gateway.models.refresh import RefreshJob
from gateway.products.repository import product_repository
from gateway.settings import Settings
from gateway.transactions.reconcile import ReconcileRules, earliest_date, match_renumbered, reconcile
from gateway.transactions.repository import ChangeCounts, transaction_repository
from gateway.upstreams.configuration import provider_configuration
from gateway.webhooks.events import publish_event
from providers.base import (
    DataNotReady,
    Fetched,
    Investments,
    Misconfigured,
    Product,
    ProviderError,
    ReconnectRequired,
    TransactionsDelta,
    TransactionsWindow,
)
from providers.base import RetryLater as ProviderRetryLater
from providers.registry import ProviderRegistry
from workers.durable import Failed, Outcome, RetryLater, Succeeded


def _only_permitted(fetched: Fetched, permitted: Sequence[str]) -> Fetched:
    """Keep only the accounts the end user granted (all of them when the link names none)."""
    if not permitted:
        return fetched
    allowed = set(permitted)
    delta = fetched.transactions
    if isinstance(delta, TransactionsWindow):
        delta = replace(
            delta,
            accounts=tuple(a for a in delta.accounts if a in allowed),
            transactions=tuple(t for t in delta.transactions if t.provider_account_id in allowed),
        )
    elif delta is not None:
        kept = tuple(t for t in delta.upserted if t.provider_account_id in allowed)
        delta = TransactionsDelta(upserted=kept, removed=delta.removed, next_cursor=delta.next_cursor)
    investments = fetched.investments
    if investments is not None:
        investments = Investments(
            securities=investments.securities,
            holdings=tuple(h for h in investments.holdings if h.provider_account_id in allowed),
            transactions=tuple(t for t in investments.transactions if t.provider_account_id in allowed),
        )
    return Fetched(
        accounts=[a for a in fetched.accounts if a.provider_account_id in allowed],
        numbers=[n for n in fetched.numbers if n.provider_account_id in allowed]
        if fetched.numbers is not None
        else None,
        owners=[o for o in fetched.owners if o.provider_account_id in allowed]
        if fetched.owners is not None
        else None,
        transactions=delta,
        investments=investments,
    )


def _rules(settings: Settings) -> ReconcileRules:
    return ReconcileRules(settings.reconcile_amount_tolerance, settings.reconcile_match_days)


class _Superseded(Exception):
    """Another attempt owns the job now; this one's results must not be applied."""


class _LinkDeleted(Exception):
    """The link was deleted between fetching and storing: its data must not come back."""


@dataclass
class _Meter:
    """What one attempt reports to the metrics; `error` when an exception ended it."""

    provider: str = "unknown"
    outcome: str = "error"


class RefreshService:
    async def attempt(
        self,
        database: Database,
        settings: Settings,
        providers: ProviderRegistry,
        job_id: uuid.UUID,
        attempt: int,
    ) -> Outcome:
        """One attempt at a refresh job, counted by provider and outcome (`linkgate_refreshes_total`)."""
        meter = _Meter()
        started = time.perf_counter()
        try:
            outcome = await self._attempt(database, settings, providers, job_id, attempt, meter)
            if meter.outcome == "succeeded":  # `_apply` finished the row in its own commit, not `finish`
                DURABLE_JOB_RUNS.labels(REFRESH_JOBS.name, "succeeded").inc()
            return outcome
        finally:
            provider = PROVIDERS(meter.provider)
            REFRESHES.labels(provider, meter.outcome).inc()
            REFRESH_DURATION.labels(provider, meter.outcome).observe(time.perf_counter() - started)

    async def _attempt(
        self,
        database: Database,
        settings: Settings,
        providers: ProviderRegistry,
        job_id: uuid.UUID,
        attempt: int,
        meter: _Meter,
    ) -> Outcome:
        async with database.unit_of_work() as session:
            loaded = await self._load(session, job_id)
        if loaded is None:
            meter.outcome = "link_gone"
            return Failed("the link is gone")
        job, link = loaded
        meter.provider = link.provider
        products = (
            [Product.accounts.value, *job.products]
            if job.products
            else [Product.accounts.value, *link.products]
        )
        if not providers.offers(link.provider):
            meter.outcome = "unconfigured"
            return Failed(f"provider {link.provider} is not configured in this deployment")
        box = SecretBox(settings.master_key())
        state = open_state(box, link.id, link.credentials_encrypted)
        async with database.unit_of_work() as session:
            adapter = (await provider_configuration.scoped(session, box, link.app_id, providers)).get(
                link.provider
            )
        try:
            fetched = await adapter.read(state, products, link.transactions_cursor)
        except ProviderRetryLater as exc:
            if not isinstance(exc, DataNotReady):  # still gathering is no trouble to show
                async with database.unit_of_work() as session:
                    await self._institution_trouble(session, link, products)
            meter.outcome = "retry_later"
            return RetryLater(exc.defer_s, str(exc))
        except ReconnectRequired as exc:
            async with database.unit_of_work() as session:
                await self._needs_reconnect(session, link, exc.error_code)
            meter.outcome = "reconnect_required"
            return Failed(f"the end user must reconnect: {exc.error_code}")
        except Misconfigured as exc:  # the keys' owner must act: shown to the app, never retried
            async with database.unit_of_work() as session:
                await provider_configuration.record_problem(session, link.app_id, link.provider, str(exc))
            meter.outcome = "misconfigured"
            return Failed(f"the upstream refused the keys: {exc}")
        except ProviderError as exc:
            meter.outcome = "provider_error"
            return Failed(f"provider error: {exc}")
        try:
            async with database.unit_of_work() as session:
                await self._apply(session, job, attempt, fetched, products, _rules(settings))
        except _Superseded:
            meter.outcome = "superseded"
            return Failed("superseded by a later attempt")
        except _LinkDeleted:
            meter.outcome = "link_gone"
            return Failed("the link was deleted while it refreshed")
        meter.outcome = "succeeded"
        return Succeeded()

    async def _load(self, session: AsyncSession, job_id: uuid.UUID) -> tuple[RefreshJob, Link] | None:
        job = await session.get(RefreshJob, job_id)
        if job is None:
            return None
        link = await link_reader.get(session, job.app_id, job.link_id)
        if link is None or link.state == "deleted":
            return None
        return job, link

    async def _apply(
        self,
        session: AsyncSession,
        job: RefreshJob,
        attempt: int,
        fetched: Fetched,
        products: Sequence[str],
        rules: ReconcileRules,
    ) -> None:
        done = await session.execute(
            update(RefreshJob)
            .where(RefreshJob.id == job.id, RefreshJob.status == "running", RefreshJob.attempts == attempt)
            .values(status="succeeded", finished_at=utcnow(), lease_expires_at=None, last_error=None)
            .returning(RefreshJob.id)
        )
        if done.first() is None:
            raise _Superseded
        link = await link_reader.require(session, job.app_id, job.link_id, for_update=True)
        if link.state == "deleted":
            raise _LinkDeleted
        fetched = _only_permitted(fetched, link.permitted_accounts)
        ids = await product_repository.upsert_accounts(session, link.app_id, link.id, fetched.accounts)
        if fetched.numbers is not None:
            await product_repository.replace_account_numbers(session, link.app_id, ids, fetched.numbers)
        if fetched.owners is not None:
            await product_repository.replace_owners(session, link.app_id, ids, fetched.owners)
        if fetched.investments is not None:
            await product_repository.replace_investments(
                session, link.app_id, link.id, ids, fetched.investments
            )
        counts = ChangeCounts()
        if fetched.transactions is not None:
            if link.handover_from is not None:
                await self._hand_over(session, link, fetched.transactions, rules)
            delta = await self._as_delta(session, link, fetched.transactions, rules)
            await transaction_repository.rename(session, link.app_id, link.id, delta.renamed)
            counts = await transaction_repository.apply(
                session, app_id=link.app_id, link_id=link.id, account_ids=ids,
                upserted=delta.upserted, removed=delta.removed,
            )  # fmt: skip
            link.transactions_cursor = delta.next_cursor
        await provider_configuration.clear_problem(session, link.app_id, link.provider)  # the keys work
        account_errors = {str(ids[p]): code for p, code in fetched.account_errors.items() if p in ids}
        await self._record_success(session, link, products, counts, account_errors)

    async def _hand_over(
        self,
        session: AsyncSession,
        link: Link,
        transactions: TransactionsDelta | TransactionsWindow,
        rules: ReconcileRules,
    ) -> None:
        """The first read through a new provider: the link's transactions take that provider's ids where
        they are the same transactions (`match_renumbered`)."""
        incoming = (
            transactions.upserted
            if isinstance(transactions, TransactionsDelta)
            else transactions.transactions
        )
        stored = await transaction_repository.stored_for_window(
            session, link.app_id, link.id, since=dt.date.min
        )
        renamed = match_renumbered(incoming, stored, rules)
        await transaction_repository.rename(session, link.app_id, link.id, renamed)
        link.handover_from = None

    async def _as_delta(
        self,
        session: AsyncSession,
        link: Link,
        transactions: TransactionsDelta | TransactionsWindow,
        rules: ReconcileRules,
    ) -> TransactionsDelta:
        """A cursor upstream's delta as it is; a window reconciled against what the (locked) link holds."""
        if isinstance(transactions, TransactionsDelta):
            return transactions
        stored = await transaction_repository.stored_for_window(
            session, link.app_id, link.id, since=earliest_date(transactions)
        )
        return reconcile(transactions, stored, rules)

    async def _record_success(
        self,
        session: AsyncSession,
        link: Link,
        products: Sequence[str],
        counts: ChangeCounts,
        account_errors: Mapping[str, str],
    ) -> None:
        """Every product refreshed now; `account_errors` (account id → code) names the accounts the
        upstream could not read this time, which kept their data."""
        now = utcnow()
        status: dict[str, Any] = dict(link.product_status)
        first_transactions = "transactions" in products and not (status.get("transactions") or {}).get(
            "refreshed_at"
        )
        for product in dict.fromkeys(products):
            status[product] = {
                "refreshed_at": now.isoformat(),
                "last_attempted_at": now.isoformat(),
                "error_code": None,
                "account_errors": dict(account_errors),
            }
            await publish_event(
                session, app_id=link.app_id, link=link, event_type="link.product_refresh",
                payload={"product": product, "refreshed_at": now.isoformat()},
            )  # fmt: skip
        link.product_status = status
        link.last_synced_at = now
        if counts.total:
            await publish_event(
                session, app_id=link.app_id, link=link, event_type="transactions.updates_available",
                payload={"created": counts.created, "updated": counts.updated, "removed": counts.removed},
            )  # fmt: skip
        await self._publish_transaction_updates(session, link, counts, first=first_transactions)

    async def _publish_transaction_updates(
        self, session: AsyncSession, link: Link, counts: ChangeCounts, *, first: bool
    ) -> None:
        """The finer-grained facts some formats report (Plaid's legacy TRANSACTIONS webhooks): the first
        and full history are in, new transactions arrived, transactions were removed."""
        new = {"new_transactions": counts.created}
        if first:
            for event_type in ("transactions.initial_update", "transactions.historical_update"):
                await publish_event(
                    session, app_id=link.app_id, link=link, event_type=event_type, payload=new
                )
        elif counts.created:
            await publish_event(
                session, app_id=link.app_id, link=link, event_type="transactions.default_update", payload=new
            )
        if counts.removed_rows:
            removed = [{"id": str(row_id), "pending": pending} for row_id, pending in counts.removed_rows]
            await publish_event(
                session, app_id=link.app_id, link=link, event_type="transactions.removed",
                payload={"transactions": removed},
            )  # fmt: skip

    async def _institution_trouble(self, session: AsyncSession, link: Link, products: Sequence[str]) -> None:
        """The upstream could not answer this time: the link stays connected, its products show
        `institution_error` (with when it was tried) until a refresh succeeds."""
        stored = await link_reader.require(session, link.app_id, link.id, for_update=True)
        if stored.state == "deleted":
            return
        now = utcnow().isoformat()
        status: dict[str, Any] = dict(stored.product_status)
        for product in dict.fromkeys(products):
            status[product] = {**(status.get(product) or {}), "last_attempted_at": now,
                               "error_code": "institution_error"}  # fmt: skip
        stored.product_status = status

    async def _needs_reconnect(self, session: AsyncSession, link: Link, error_code: str) -> None:
        stored = await link_reader.require(session, link.app_id, link.id)
        await link_service.force_reconnect(session, stored, error_code)


refresh_service = RefreshService()
