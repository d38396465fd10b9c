"""SQL for end users, always within one app."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.end_user import EndUser

# The configuration's user-id field names one of these columns.
USER_ID_COLUMNS = {"guid": EndUser.guid, "uid": EndUser.uid, "id": EndUser.external_id}


class EndUserRepository:
    async def find(
        self, session: AsyncSession, app_id: uuid.UUID, *, field: str, value: str
    ) -> EndUser | None:
        column = USER_ID_COLUMNS[field]
        statement = select(EndUser).where(EndUser.app_id == app_id, column == value)
        return (await session.execute(statement)).scalar_one_or_none()

    async def page(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        *,
        offset: int,
        limit: int,
        external_id: str | None = None,
        email: str | None = None,
    ) -> tuple[list[EndUser], int]:
        """The app's end users, oldest first, optionally those with one id or email, and their count."""
        conditions = [EndUser.app_id == app_id]
        if external_id is not None:
            conditions.append(EndUser.external_id == external_id)
        if email is not None:
            conditions.append(EndUser.email == email)
        total = (
            await session.execute(select(func.count()).select_from(EndUser).where(*conditions))
        ).scalar_one()
        statement = (
            select(EndUser)
            .where(*conditions)
            .order_by(EndUser.created_at, EndUser.id)
            .offset(offset)
            .limit(limit)
        )
        return list((await session.execute(statement)).scalars()), int(total)


end_user_repository = EndUserRepository()
