"""MX users (our end users): create, list, read, update, delete."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from formats.mx import render
from gateway.auth.tokens import TokenKind
from gateway.collections.mx.access import accessible_user, principal_owns
from gateway.collections.mx.auth import MX_ADMIN, MX_READER
from gateway.collections.mx.responses import PageParam, RecordsPerPage, listed, mx_response, per_page
from gateway.collections.mx.routing import MxRoute
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart, StorableInput
from gateway.end_users.repository import end_user_repository
from gateway.end_users.service import new_end_user, store_end_user
from gateway.errors import Conflict
from gateway.links.service import link_service
from gateway.models.end_user import EndUser

router = APIRouter(route_class=MxRoute, tags=["mx"])


class UserFields(BodyPart):
    model_config = ConfigDict(extra="ignore")
    email: str | None = Field(default=None, max_length=320)
    id: str | None = Field(default=None, min_length=1, max_length=255)
    is_disabled: bool | None = None
    metadata: str | None = Field(default=None, max_length=4096)


class UserRequest(StorableInput):
    model_config = ConfigDict(extra="ignore")
    user: UserFields


async def _refuse_duplicate_id(session: AsyncSession, app_id: uuid.UUID, external_id: str | None,
                               current: EndUser | None = None) -> None:  # fmt: skip
    if external_id is None:
        return
    existing = await end_user_repository.find(session, app_id, field="id", value=external_id)
    if existing is not None and existing is not current:
        raise Conflict("A user with this id already exists.")


def _apply(user: EndUser, fields: UserFields) -> None:
    given = fields.model_dump(exclude_unset=True)
    extra: dict[str, Any] = dict(user.user_metadata or {})
    if "email" in given:
        user.email = fields.email
    if "id" in given:
        user.external_id = fields.id
    if "is_disabled" in given:
        extra[render.USER_DISABLED] = bool(fields.is_disabled)
    if "metadata" in given:
        extra[render.USER_METADATA] = fields.metadata
    user.user_metadata = extra


@router.post("/users", openapi_extra=MX_ADMIN.openapi)
async def create_user(body: UserRequest, request: Request, session: DbSession) -> Response:
    """createUser: 200 with the new user (MX answers 200, not 201)."""
    principal = await MX_ADMIN(request)
    await _refuse_duplicate_id(session, principal.app_id, body.user.id)
    user = new_end_user(principal.app_id, user_metadata={})
    _apply(user, body.user)
    await store_end_user(session, user)
    return mx_response({"user": render.user(user)})


@router.get("/users", openapi_extra=MX_READER.openapi)
async def list_users(
    request: Request,
    session: DbSession,
    page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
    id: str | None = Query(default=None, max_length=255),
    email: str | None = Query(default=None, max_length=320),
) -> Response:
    """listUsers; a user-level credential sees only its own user."""
    principal = await MX_READER(request)
    size = per_page(records_per_page)
    users, total = await end_user_repository.page(
        session, principal.app_id, offset=(page - 1) * size, limit=size, external_id=id, email=email
    )
    if principal.kind is TokenKind.user:
        users = [u for u in users if await principal_owns(session, principal, u.guid)]
        total = len(users)
    return listed("users", [render.user(u) for u in users], page, size, total)


@router.get("/users/{user_guid}", openapi_extra=MX_READER.openapi)
async def read_user(user_guid: str, request: Request, session: DbSession) -> Response:
    principal = await MX_READER(request)
    return mx_response({"user": render.user(await accessible_user(session, principal, user_guid))})


@router.put("/users/{user_guid}", openapi_extra=MX_ADMIN.openapi)
async def update_user(user_guid: str, body: UserRequest, request: Request, session: DbSession) -> Response:
    principal = await MX_ADMIN(request)
    user = await accessible_user(session, principal, user_guid)
    if "id" in body.user.model_fields_set:
        await _refuse_duplicate_id(session, principal.app_id, body.user.id, current=user)
    _apply(user, body.user)
    await session.flush()
    return mx_response({"user": render.user(user)})


@router.delete("/users/{user_guid}", status_code=204, openapi_extra=MX_ADMIN.openapi)
async def delete_user(user_guid: str, request: Request, session: DbSession) -> Response:
    """deleteUser: every member is disconnected and its data erased, then the user goes; 204."""
    principal = await MX_ADMIN(request)
    user = await accessible_user(session, principal, user_guid)
    await link_service.delete_end_user(session, user)
    return mx_response(None, 204)
