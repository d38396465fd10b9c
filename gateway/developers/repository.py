"""SQL for developers, apps, API keys, organizations, app configuration and the audit log.

Dashboard reads start from `_apps_of(developer_id)`; app-level reads start from the app id of the
authenticated principal. Another developer's or app's rows are therefore simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import conflict_insert
from gateway.models.audit import AuditEntry
from gateway.models.base import utcnow
from gateway.models.developer import ApiKey, App, AppConfiguration, Developer, Organization

Row = Developer | App | AppConfiguration | Organization | ApiKey


def _apps_of(developer_id: uuid.UUID) -> Select[App]:
    return select(App).where(App.developer_id == developer_id)


def _owned_app_ids(developer_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(App.id).where(App.developer_id == developer_id)


class DeveloperRepository:
    async def add(self, session: AsyncSession, *rows: Row) -> None:
        for row in rows:
            session.add(row)
            # Parents first: flushing each keeps foreign keys satisfied without relationship() wiring.
            await session.flush()

    async def any_exists(self, session: AsyncSession) -> bool:
        return bool((await session.execute(select(exists().where(Developer.id.is_not(None))))).scalar())

    async def get_developer(self, session: AsyncSession, developer_id: uuid.UUID) -> Developer:
        return (await session.execute(select(Developer).where(Developer.id == developer_id))).scalar_one()

    async def get_by_email(self, session: AsyncSession, email: str) -> Developer | None:
        result = await session.execute(select(Developer).where(Developer.email == email))
        return result.scalar_one_or_none()

    # Apps (dashboard scope) ------------------------------------------------------------------

    async def first_app(self, session: AsyncSession, developer_id: uuid.UUID, mode: str) -> App | None:
        statement = _apps_of(developer_id).where(App.mode == mode).order_by(App.created_at).limit(1)
        return (await session.execute(statement)).scalar_one_or_none()

    async def list_apps(
        self, session: AsyncSession, developer_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[Sequence[App], int]:
        statement = _apps_of(developer_id)
        total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
        rows = (
            await session.execute(statement.order_by(App.created_at, App.id).offset(offset).limit(limit))
        ).scalars()
        return rows.all(), int(total)

    async def get_app(self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID) -> App | None:
        return (await session.execute(_apps_of(developer_id).where(App.id == app_id))).scalar_one_or_none()

    # API keys (dashboard scope) --------------------------------------------------------------

    async def list_keys(
        self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID
    ) -> Sequence[ApiKey]:
        statement = (
            select(ApiKey)
            .where(ApiKey.app_id == app_id, ApiKey.app_id.in_(_owned_app_ids(developer_id)))
            .order_by(ApiKey.created_at, ApiKey.id)
        )
        return (await session.execute(statement)).scalars().all()

    async def revoke_key(
        self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID, client_id: str
    ) -> datetime | None:
        """Revoke a live key and say when; None when there is no such key of this developer's app."""
        statement = (
            update(ApiKey)
            .where(
                ApiKey.client_id == client_id,
                ApiKey.app_id == app_id,
                ApiKey.app_id.in_(_owned_app_ids(developer_id)),
                ApiKey.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
            .returning(ApiKey.revoked_at)
        )
        return (await session.execute(statement)).scalar_one_or_none()

    # Organizations ---------------------------------------------------------------------------

    async def list_organizations(self, session: AsyncSession, app_id: uuid.UUID) -> Sequence[Organization]:
        statement = (
            select(Organization).where(Organization.app_id == app_id).order_by(Organization.created_at)
        )
        return (await session.execute(statement)).scalars().all()

    async def get_organization(
        self, session: AsyncSession, app_id: uuid.UUID, key: str
    ) -> Organization | None:
        statement = select(Organization).where(Organization.app_id == app_id, Organization.key == key)
        return (await session.execute(statement)).scalar_one_or_none()

    async def add_organization(
        self, session: AsyncSession, app_id: uuid.UUID, key: str, name: str
    ) -> Organization | None:
        """The new organization; None when the app already has one with this key.

        ON CONFLICT rather than a savepoint: on SQLite a savepoint opened before any write is the outermost
        transaction, and releasing it commits the request's work before the request has succeeded.
        """
        now = utcnow()
        statement = (
            (await conflict_insert(session, Organization))
            .values(id=uuid.uuid4(), app_id=app_id, key=key, name=name, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["app_id", "key"])
            .returning(Organization.id)
        )
        if (await session.execute(statement)).first() is None:
            return None
        return await self.get_organization(session, app_id, key)

    async def delete_organization(self, session: AsyncSession, app_id: uuid.UUID, key: str) -> str | None:
        """The deleted organization's name; None when the app has no such organization."""
        statement = (
            delete(Organization)
            .where(Organization.app_id == app_id, Organization.key == key)
            .returning(Organization.name)
        )
        return (await session.execute(statement)).scalar_one_or_none()

    # Configuration (app scope) ---------------------------------------------------------------

    async def get_configuration(self, session: AsyncSession, app_id: uuid.UUID) -> AppConfiguration:
        statement = select(AppConfiguration).where(AppConfiguration.app_id == app_id)
        return (await session.execute(statement)).scalar_one()

    async def find_app(self, session: AsyncSession, app_id: uuid.UUID) -> App | None:
        """Any developer's app (for operator commands, which act across tenants)."""
        return (await session.execute(select(App).where(App.id == app_id))).scalar_one_or_none()

    async def get_app_by_id(self, session: AsyncSession, app_id: uuid.UUID) -> App:
        return (await session.execute(select(App).where(App.id == app_id))).scalar_one()

    async def get_key_by_id(self, session: AsyncSession, app_id: uuid.UUID, api_key_id: uuid.UUID) -> ApiKey:
        statement = select(ApiKey).where(ApiKey.app_id == app_id, ApiKey.id == api_key_id)
        return (await session.execute(statement)).scalar_one()


developer_repository = DeveloperRepository()


class AuditRepository:
    """Entries are inserted and read, never updated or deleted (the database refuses both too)."""

    async def add(self, session: AsyncSession, entry: AuditEntry) -> None:
        session.add(entry)
        await session.flush()

    async def page(
        self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[Sequence[AuditEntry], int]:
        """One of this developer's app's entries, newest first, with how many there are in all."""
        statement = select(AuditEntry).where(
            AuditEntry.app_id == app_id, AuditEntry.app_id.in_(_owned_app_ids(developer_id))
        )
        total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
        ordered = statement.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        rows = (await session.execute(ordered.offset(offset).limit(limit))).scalars()
        return rows.all(), int(total)


audit_repository = AuditRepository()
