"""Link rules: a connected link is stored with its sealed provider state and refreshed at once."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.db import enqueue_after_commit
from gateway.errors import RateLimited
from gateway.links.connection_state import seal_state
from gateway.links.disconnects import schedule_disconnect
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.links.repository import (
    UNDELETED_STATES,
    links_of_user,
    manual_refreshes_since,
    organization_key_of,
    refreshes_since,
    store_link,
)
from gateway.maintenance.queries import links_due_for_refresh, purge_links_deleted_before
from gateway.models.base import utcnow
from gateway.models.end_user import EndUser
from gateway.models.institution import Institution
from gateway.models.link import Link
from gateway.models.refresh import RefreshJob
from gateway.products.repository import product_repository
from gateway.webhooks.events import publish_event
from providers.base import Connected, RefreshBudget

DAY = timedelta(days=1)


class LinkService:
    async def create_connected(
        self,
        session: AsyncSession,
        *,
        box: SecretBox,
        app_id: uuid.UUID,
        end_user_id: uuid.UUID,
        institution: Institution,
        connection: Connected,
        products: Sequence[str],
        provider: str | None = None,
    ) -> Link:
        """A link that is usable at once (no token exchange), refreshed right away."""
        link = await self.create(
            session, box=box, app_id=app_id, end_user_id=end_user_id, institution=institution,
            connection=connection, products=products, state="connected", provider=provider,
        )  # fmt: skip
        await self._state_changed(session, link)
        await self.request_refresh(session, link, products, trigger="initial")
        return link

    async def create(
        self,
        session: AsyncSession,
        *,
        box: SecretBox,
        app_id: uuid.UUID,
        end_user_id: uuid.UUID,
        institution: Institution,
        connection: Connected,
        products: Sequence[str],
        state: str,
        provider: str | None = None,
    ) -> Link:
        """A new link with its provider state sealed: `connecting` while the user is still in Connect,
        `awaiting_token_exchange` once the app only has to exchange its token."""
        link = Link(
            id=uuid.uuid4(), app_id=app_id, end_user_id=end_user_id, institution_id=institution.id,
            provider=provider or institution.provider, provider_link_id=connection.provider_link_id,
            state=state,
            products=list(products),
        )  # fmt: skip
        link.credentials_encrypted = seal_state(box, link.id, connection.state)
        await store_link(session, link)
        return link

    def await_exchange(
        self, link: Link, *, products: Sequence[str], permitted_accounts: Sequence[str]
    ) -> None:
        """Connect finished: the granted accounts and products are set; the app exchanges its token next."""
        link.products = list(dict.fromkeys(["accounts", *products]))
        link.permitted_accounts = list(permitted_accounts)
        link.state, link.error_code = "awaiting_token_exchange", None

    async def complete_exchange(self, session: AsyncSession, link: Link) -> None:
        link.state = "connected"
        await self._state_changed(session, link)
        await self.request_refresh(session, link, link.products, trigger="initial")

    async def delete(self, session: AsyncSession, link: Link) -> None:
        """Disconnect: the upstream is told (durably, see `gateway.links.disconnects`), and the credentials
        and every account, number, owner, holding and transaction go now; the link record stays readable
        for `deleted_link_retention_days` (see `purge_deleted`)."""
        link.state, link.deleted_at = "deleted", utcnow()
        await schedule_disconnect(session, link)  # the upstream hears it; the secrets move there
        link.credentials_encrypted = None
        await self._state_changed(session, link)
        # Take the link row lock first: a refresh storing its data waits for us, then sees the deletion.
        await session.flush()
        await product_repository.erase_link_data(session, link.app_id, link.id)

    async def delete_end_user(
        self, session: AsyncSession, user: EndUser, *, organization: str | None = None
    ) -> None:
        """Delete each of the user's links as `delete` does (data erased, apps told), then the user. A
        caller limited to an `organization` deletes that organization's links only, and the user only
        when no link of another organization remains."""
        links = await links_of_user(session, user.app_id, user.id, UNDELETED_STATES)
        keys = [await organization_key_of(session, link) for link in links]
        for link, key in zip(links, keys, strict=True):
            if organization is None or key == organization:
                await self.delete(session, link)
        if organization is None or all(key == organization for key in keys):
            await session.delete(user)
        await session.flush()

    async def purge_deleted(self, session: AsyncSession, *, retention_days: int) -> int:
        """Remove every app's links deleted more than `retention_days` ago, with their sessions and jobs
        (a worker's job: the query is cross-tenant, gateway/maintenance/queries.py)."""
        return await purge_links_deleted_before(session, utcnow() - timedelta(days=retention_days))

    async def force_reconnect(
        self,
        session: AsyncSession,
        link: Link,
        error_code: str = "auth_expired",
        *,
        reason: str | None = None,
    ) -> None:
        """The end user must link again; `reason` says why where a format tells more than the error code
        (Plaid's USER_PERMISSION_REVOKED is `auth_expired` everywhere else)."""
        link.state, link.error_code = "error", error_code
        await self._state_changed(session, link, reason=reason)

    async def login_repaired(self, session: AsyncSession, link: Link) -> None:
        """The upstream says the end user's login works again (without Connect): connected, the app
        told, and a refresh to catch up."""
        if link.state != "error":
            return
        await publish_event(session, app_id=link.app_id, link=link, event_type="link.login_repaired",
                            payload={"error": link.error_code})  # fmt: skip
        link.state, link.error_code = "connected", None
        await self._state_changed(session, link)
        await self.request_refresh(session, link, link.products, trigger="webhook")

    async def _state_changed(self, session: AsyncSession, link: Link, *, reason: str | None = None) -> None:
        payload = {"state": link.state} | ({"error": link.error_code} if link.state == "error" else {})
        if reason is not None:
            payload["reason"] = reason
        await publish_event(
            session, app_id=link.app_id, link=link, event_type="link.state_changed", payload=payload
        )

    async def request_refresh(
        self, session: AsyncSession, link: Link, products: Sequence[str], *, trigger: str
    ) -> RefreshJob:
        """A durable refresh job, run by a worker once this transaction commits."""
        now = utcnow()
        job = RefreshJob(
            app_id=link.app_id, link_id=link.id, products=list(products), trigger=trigger,
            status="pending", next_run_at=now, enqueued_for=now,
        )  # fmt: skip
        session.add(job)
        await session.flush()
        enqueue_after_commit(session, REFRESH_JOBS.task_for(job.id))
        return job

    async def request_manual_refresh(
        self,
        session: AsyncSession,
        link: Link,
        products: Sequence[str],
        *,
        per_day: int,
        budget: RefreshBudget | None = None,
    ) -> RefreshJob:
        """An on-demand refresh, unless one of `products` was already asked for `per_day` times in the
        last 24 hours on this link, or the upstream's `budget` for the link is spent (scheduled and
        initial refreshes count too): then `RateLimited` with the seconds until a refresh is free."""
        now = utcnow()
        if budget is not None:
            await self._within_budget(session, link, budget, now)
        recent = await manual_refreshes_since(session, link.app_id, link.id, now - DAY)
        for product in products:
            asked = sorted(created for created, wanted in recent if product in wanted)
            if len(asked) >= per_day:
                free_at = asked[len(asked) - per_day] + DAY
                raise RateLimited(
                    f"{product} may be refreshed {per_day} times a day on this link.",
                    limit="refreshes_per_day",
                    headers={"Retry-After": str(max(1, math.ceil((free_at - now).total_seconds())))},
                )
        return await self.request_refresh(session, link, products, trigger="manual")

    async def _within_budget(
        self, session: AsyncSession, link: Link, budget: RefreshBudget, now: datetime
    ) -> None:
        window = timedelta(seconds=budget.per_seconds)
        spent = await refreshes_since(session, link.app_id, link.id, now - window)
        if len(spent) >= budget.requests:
            free_at = spent[len(spent) - budget.requests] + window
            raise RateLimited(
                f"This link's bank may be read {budget.requests} times a day; it has been.",
                limit="upstream_refresh_budget",
                headers={"Retry-After": str(max(1, math.ceil((free_at - now).total_seconds())))},
            )

    async def schedule_due_refreshes(
        self, session: AsyncSession, *, interval_s: float, limit: int = 500
    ) -> int:
        """Queue a refresh for every connected link of every app not refreshed within `interval_s` (the
        scheduler's job: the query is cross-tenant, gateway/maintenance/queries.py)."""
        due = await links_due_for_refresh(session, utcnow() - timedelta(seconds=interval_s), limit)
        for link in due:
            await self.request_refresh(session, link, link.products, trigger="scheduled")
        return len(due)


link_service = LinkService()
