"""Adopting a connection a developer already holds at an upstream (a Plaid Item): a link on that
provider's route, readable in every format, with no end user asked to link again.

The upstream checks the credentials first (a refused access token changes nothing); the same
connection adopted twice answers the link it already became.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.end_users.service import get_or_create_token_user
from gateway.errors import InvalidRequest, NotFound, ServiceUnavailable
from gateway.institutions.catalog import routed_institution, sync_institutions
from gateway.links.repository import link_on_connection
from gateway.links.service import link_service
from gateway.models.institution import Institution
from gateway.models.link import Link
from providers.base import (
    AdoptsConnections,
    Misconfigured,
    ProviderError,
    ReconnectRequired,
    SearchesInstitutions,
)
from providers.registry import ProviderRegistry


async def adopt_connection(
    session: AsyncSession,
    box: SecretBox,
    providers: ProviderRegistry,
    offered: Collection[str],
    *,
    app_id: uuid.UUID,
    provider: str,
    credentials: Mapping[str, str],
    user_field: str,
    user_id: str,
) -> tuple[Link, bool]:
    """The link for the connection `credentials` open (`providers` scoped to the app, which offers
    `offered`), and whether it is new. The end user is the app's user `user_id` in its configured id
    field, created if new."""
    adapter: object = providers.get(provider) if provider in offered and providers.offers(provider) else None
    if not isinstance(adapter, AdoptsConnections):
        raise NotFound("This deployment adopts no connections of that provider for this app.")
    try:
        adopted = await adapter.adopt(credentials)
        existing = await link_on_connection(session, app_id, provider, adopted.connection.provider_link_id)
        if existing is not None:
            return existing, False
        institution = await _institution(session, providers, provider, adopted.provider_institution_id)
    except ReconnectRequired as exc:
        raise InvalidRequest(f"{provider} refused the credentials: {exc}") from exc
    except Misconfigured as exc:
        raise InvalidRequest(f"{provider} refused this app's keys: {exc}") from exc
    except ProviderError as exc:
        raise ServiceUnavailable(f"{provider} could not be reached just now; try again later.") from exc
    user = await get_or_create_token_user(session, app_id, user_field, user_id)
    link = await link_service.create_connected(
        session, box=box, app_id=app_id, end_user_id=user.id, institution=institution,
        connection=adopted.connection, products=adopted.products, provider=provider,
    )  # fmt: skip
    return link, True


async def _institution(
    session: AsyncSession, providers: ProviderRegistry, provider: str, provider_institution_id: str
) -> Institution:
    """The directory's entry the provider's institution is routed to, added from the upstream if new."""
    row = await routed_institution(session, provider, provider_institution_id)
    if row is None:
        adapter = providers.get(provider)
        if not isinstance(adapter, SearchesInstitutions):
            raise NotFound("The connection reaches an institution this deployment does not know.")
        info = await adapter.get_institution(provider_institution_id)
        await sync_institutions(session, providers, discovered={provider: [info]})
        row = await routed_institution(session, provider, provider_institution_id)
    assert row is not None
    return row
