"""End users are created the first time an app links a bank for them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.end_users.repository import end_user_repository
from gateway.integer_ids.repository import IdKind, issue
from gateway.models.end_user import EndUser


def new_end_user(app_id: uuid.UUID, **columns: object) -> EndUser:
    """An end user not stored yet, with a new Linkgate guid unless `columns` names one."""
    return EndUser(**({"app_id": app_id, "guid": f"USR-{uuid.uuid4()}"} | columns))


async def store_end_user(session: AsyncSession, user: EndUser) -> EndUser:
    """Store a new end user, with the integer id that names them (their Yodlee user id)."""
    session.add(user)
    await session.flush()
    await issue(session, user.app_id, IdKind.user, [user.id])
    return user


async def get_or_create_end_user(session: AsyncSession, app_id: uuid.UUID, external_id: str) -> EndUser:
    """The app's end user with this id of theirs (MoneyKit `customer_user.id`), created if new."""
    user = await end_user_repository.find(session, app_id, field="id", value=external_id)
    if user is None:
        user = await store_end_user(session, new_end_user(app_id, external_id=external_id))
    return user


async def get_or_create_token_user(
    session: AsyncSession, app_id: uuid.UUID, field: str, value: str
) -> EndUser:
    """The end user a user token names by the app's configured id field (`guid`, `uid` or `id`),
    created if new: Link Money mints user tokens for users that do not exist yet."""
    user = await end_user_repository.find(session, app_id, field=field, value=value)
    if user is None:
        ids = {"guid": {"guid": value}, "uid": {"uid": value}, "id": {"external_id": value}}[field]
        user = await store_end_user(session, new_end_user(app_id, **ids))
    return user
