"""Link rules: a connected link is stored with its sealed provider state and refreshed at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.db import enqueue_after_commit
from gateway.links.connection_state import seal_state
from gateway.links.refresh_jobs import REFRESH_JOBS
from gateway.models.base import utcnow
from gateway.models.institution import Institution
from gateway.models.link import Link
from gateway.models.refresh import RefreshJob
from gateway.webhooks.events import record_event
from providers.base import Connected


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
        webhook: str | None = None,
        tags: Sequence[str] = (),
    ) -> Link:
        link = Link(
            id=uuid.uuid4(),
            app_id=app_id,
            end_user_id=end_user_id,
            institution_id=institution.id,
            provider=institution.provider,
            provider_link_id=connection.provider_link_id,
            state="connected",
            products=list(products),
            webhook_uri=webhook,
            tags=list(tags),
        )
        link.credentials_encrypted = seal_state(box, link.id, connection.state)
        session.add(link)
        await session.flush()
        record_event(
            session,
            app_id=app_id,
            link_id=link.id,
            event_type="link.state_changed",
            payload={"state": "connected"},
        )
        await self.request_refresh(session, link, products, trigger="initial")
        return link

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


link_service = LinkService()
