"""Organizations an app may see; `default` always exists and cannot be removed."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.developers.repository import developer_repository
from gateway.errors import Conflict, NotFound
from gateway.models.developer import DEFAULT_ORGANIZATION_KEY, Organization


class OrganizationService:
    async def create(
        self, session: AsyncSession, *, app_id: uuid.UUID, key: str | None, name: str
    ) -> Organization:
        key = key or f"org_{secrets.token_hex(6)}"
        organization = await developer_repository.add_organization(session, app_id, key, name)
        if organization is None:
            raise Conflict(f"This app already has an organization {key!r}.")
        return organization

    async def list(self, session: AsyncSession, app_id: uuid.UUID) -> Sequence[Organization]:
        return await developer_repository.list_organizations(session, app_id)

    async def delete(self, session: AsyncSession, *, app_id: uuid.UUID, key: str) -> str:
        """The removed organization's name."""
        if key == DEFAULT_ORGANIZATION_KEY:
            raise Conflict("The default organization cannot be removed.")
        name = await developer_repository.delete_organization(session, app_id, key)
        if name is None:
            raise NotFound("No such organization.")
        return name

    async def exists(self, session: AsyncSession, *, app_id: uuid.UUID, key: str) -> bool:
        return await developer_repository.get_organization(session, app_id, key) is not None


organization_service = OrganizationService()
