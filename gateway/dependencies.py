"""Request-scoped dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.state import get_app_state


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed before the response is sent, rolled back on any error."""
    async with get_app_state(request).database.unit_of_work() as session:
        yield session


# scope="function" commits before the response goes out, so a failed commit is the caller's error.
DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session for routes that only read (`gateway.db.Database.read_only`)."""
    async with get_app_state(request).database.read_only() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
