"""SQL for end users, always within one app."""

from __future__ import annotations

import uuid

from sqlalchemy import select
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


end_user_repository = EndUserRepository()
