"""SQL for links, always within one app."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.developer import DEFAULT_ORGANIZATION_KEY, Organization
from gateway.models.link import Link


class LinkRepository:
    async def find_in_organization(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, organization: str
    ) -> tuple[Link, str] | None:
        """The link with its organization key, if it belongs to `organization` (no organization = default)."""
        statement = (
            select(Link, Organization.key)
            .outerjoin(Organization, Organization.id == Link.organization_id)
            .where(Link.app_id == app_id, Link.id == link_id, Link.state != "deleted")
        )
        if organization == DEFAULT_ORGANIZATION_KEY:
            statement = statement.where(or_(Link.organization_id.is_(None), Organization.key == organization))
        else:
            statement = statement.where(Organization.key == organization)
        row = (await session.execute(statement)).one_or_none()
        if row is None:
            return None
        link, key = row
        return link, key or DEFAULT_ORGANIZATION_KEY


link_repository = LinkRepository()
