"""Ending a deleted link's connection upstream (Plaid's `/item/remove`, which also stops its billing),
as durable work: a worker tries at once and again later if the upstream is unavailable.

The link's sealed connection state moves to the disconnect row when the link is deleted (the link keeps
none), and is wiped once the upstream heard it, or will never hear it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.db import Database, enqueue_after_commit
from gateway.institutions.catalog import IMPORTED_PROVIDER
from gateway.links.connection_state import open_state
from gateway.models.link import Link
from gateway.models.refresh import UpstreamDisconnect
from gateway.settings import Settings
from gateway.upstreams.configuration import provider_configuration
from providers.base import ProviderError, ReconnectRequired
from providers.base import RetryLater as ProviderRetryLater
from providers.registry import ProviderRegistry
from workers.durable import DurableKind, Failed, Outcome, RetryLater, Succeeded
from workers.names import DISCONNECT_UPSTREAM

MAX_ATTEMPTS = 4
UPSTREAM_DISCONNECTS = DurableKind(
    name="upstream_disconnect",
    model=UpstreamDisconnect,
    task_name=DISCONNECT_UPSTREAM,
    max_attempts=lambda settings: MAX_ATTEMPTS,
)
LOCAL_PROVIDERS = frozenset({"sandbox", IMPORTED_PROVIDER})  # nothing upstream to tell


async def schedule_disconnect(session: AsyncSession, link: Link) -> None:
    """Queue the upstream's disconnect of `link`, whose connection state it takes over."""
    if link.provider in LOCAL_PROVIDERS or link.credentials_encrypted is None:
        return
    row = UpstreamDisconnect(
        app_id=link.app_id, link_id=link.id, provider=link.provider,
        credentials_encrypted=link.credentials_encrypted,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    enqueue_after_commit(session, UPSTREAM_DISCONNECTS.task_for(row.id))


async def attempt_disconnect(
    database: Database, settings: Settings, providers: ProviderRegistry, row_id: uuid.UUID, attempt: int
) -> Outcome:
    """One try. An upstream that no longer knows the connection has nothing left to end: done."""
    box = SecretBox(settings.master_key())
    async with database.unit_of_work() as session:
        row = await session.get(UpstreamDisconnect, row_id)
        if row is None or row.credentials_encrypted is None:
            return Succeeded()
        if not providers.offers(row.provider):
            return await _ended(database, row_id, Failed(f"provider {row.provider} is not configured here"))
        adapter = (await provider_configuration.scoped(session, box, row.app_id, providers)).get(row.provider)
        state = open_state(box, row.link_id, row.credentials_encrypted)
    try:
        await adapter.disconnect(state)
    except ProviderRetryLater as exc:
        if attempt < MAX_ATTEMPTS:
            return RetryLater(exc.defer_s, str(exc))
        return await _ended(database, row_id, Failed(f"the upstream stayed unavailable: {exc}"))
    except ReconnectRequired:
        pass
    except ProviderError as exc:
        return await _ended(database, row_id, Failed(f"provider error: {exc}"))
    return await _ended(database, row_id, Succeeded())


async def _ended(database: Database, row_id: uuid.UUID, outcome: Outcome) -> Outcome:
    """No more tries: the connection's secrets go."""
    async with database.unit_of_work() as session:
        row = await session.get(UpstreamDisconnect, row_id)
        if row is not None:
            row.credentials_encrypted = None
    return outcome
