"""SQL for developers, their apps, app configuration, organizations and API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.developer import ApiKey, App, AppConfiguration, Developer, Organization


class DeveloperRepository:
    async def any_exists(self, session: AsyncSession) -> bool:
        return bool((await session.execute(select(exists().where(Developer.id.is_not(None))))).scalar())

    async def get_by_email(self, session: AsyncSession, email: str) -> Developer | None:
        result = await session.execute(select(Developer).where(Developer.email == email))
        return result.scalar_one_or_none()

    async def first_app(self, session: AsyncSession, developer_id: uuid.UUID, mode: str) -> App | None:
        result = await session.execute(
            select(App)
            .where(App.developer_id == developer_id, App.mode == mode)
            .order_by(App.created_at)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def add(
        self, session: AsyncSession, *rows: Developer | App | AppConfiguration | Organization | ApiKey
    ) -> None:
        for row in rows:
            session.add(row)
            # Parents first: flushing each keeps foreign keys satisfied without relationship() wiring.
            await session.flush()


developer_repository = DeveloperRepository()
