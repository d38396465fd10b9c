"""Yodlee users are our end users, known by their loginName (the app's user-id field).

`POST /user/register` (admin token, 200), `GET /user`, `PUT /user` (204), `DELETE /user/unregister` (204).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.collections.yodlee.access import (
    ADMIN,
    USER_READER,
    USER_WRITER,
    json_response,
    login_name,
    no_content,
    token_user,
    token_user_created,
)
from gateway.collections.yodlee.errors import YodleeError, invalid_value, required
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.dependencies import DbSession
from gateway.end_users.repository import end_user_repository
from gateway.end_users.service import get_or_create_token_user
from gateway.integer_ids.repository import IdKind, number_of
from gateway.links.service import link_service
from gateway.models.end_user import EndUser
from gateway.text import first_unstorable_path, is_storable

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])

PROFILE_FIELDS = ("name", "address", "phoneNumber", "preferences", "segmentName")


class UserFields(BaseModel):
    """The parts of a Yodlee user we keep; unknown fields are ignored, as Yodlee's clients send many."""

    model_config = ConfigDict(extra="ignore")

    loginName: str | None = Field(default=None, max_length=1000)
    email: str | None = Field(default=None, max_length=320)
    phoneNumber: str | None = Field(default=None, max_length=64)
    segmentName: str | None = Field(default=None, max_length=200)
    name: dict[str, str] | None = None
    address: dict[str, str] | None = None
    preferences: dict[str, str] | None = None


class UserBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user: UserFields | None = None


def check_login_name(value: str) -> str:
    """3 to 150 characters without spaces (Y801 for the length, Y800 otherwise)."""
    if not 3 <= len(value) <= 150:
        raise YodleeError("Y801", "Invalid length for loginName")
    if any(character.isspace() for character in value) or not is_storable(value):
        raise invalid_value("loginName")
    return value


def _check_profile(fields: UserFields) -> None:
    unstorable = first_unstorable_path(fields.model_dump(exclude_none=True))
    if unstorable is not None:
        raise invalid_value(".".join(unstorable) or "user")
    if fields.email is not None and ("@" not in fields.email or not is_storable(fields.email)):
        raise invalid_value("email")
    if fields.phoneNumber is not None and not all(c.isdigit() or c in "+-() " for c in fields.phoneNumber):
        raise invalid_value("phoneNumber")


def _apply(user: EndUser, fields: UserFields) -> None:
    if fields.email is not None:
        user.email = fields.email
    profile = dict(user.user_metadata.get("yodlee", {}))
    profile.update(
        {name: getattr(fields, name) for name in PROFILE_FIELDS if getattr(fields, name) is not None}
    )
    user.user_metadata = {**user.user_metadata, "yodlee": profile}


async def _rendered(session: AsyncSession, user: EndUser, name: str) -> dict[str, Any]:
    profile = user.user_metadata.get("yodlee", {})
    body: dict[str, Any] = {
        "id": await number_of(session, user.app_id, IdKind.user, user.id),
        "loginName": name,
        "roleType": "INDIVIDUAL",
        "preferences": {"currency": "USD", "timeZone": "GMT", "dateFormat": "yyyy-MM-dd", "locale": "en_US"}
        | profile.get("preferences", {}),
    }
    if user.email:
        body["email"] = user.email
    body.update(
        {key: profile[key] for key in ("name", "address", "phoneNumber", "segmentName") if key in profile}
    )
    return body


@router.post("/user/register", openapi_extra=ADMIN.openapi)
async def register_user(body: UserBody, request: Request, session: DbSession) -> Response:
    """Register a user with the admin token (200 with the new user)."""
    principal = await ADMIN(request)
    if body.user is None or body.user.loginName is None:
        raise required("loginName")
    name = check_login_name(body.user.loginName)
    _check_profile(body.user)
    field = principal.client.user_id_field
    if await end_user_repository.find(session, principal.app_id, field=field, value=name) is not None:
        raise YodleeError("Y811", "loginName value already exists")
    user = await get_or_create_token_user(session, principal.app_id, field, name)
    _apply(user, body.user)
    await session.flush()
    return json_response({"user": await _rendered(session, user, name)})


@router.get("/user", openapi_extra=USER_READER.openapi)
async def get_user(request: Request, session: DbSession) -> Response:
    """The token's user."""
    principal = await USER_READER(request)
    user = await token_user_created(session, principal)
    assert principal.user is not None
    return json_response({"user": await _rendered(session, user, principal.user)})


@router.put("/user", openapi_extra=USER_WRITER.openapi)
async def update_user(body: UserBody, request: Request, session: DbSession) -> Response:
    """Change the token's user's profile (204); the loginName cannot change."""
    principal = await USER_WRITER(request)
    if body.user is None:
        raise required("user")
    if body.user.loginName is not None and body.user.loginName != principal.user:
        raise invalid_value("loginName")
    _check_profile(body.user)
    user = await token_user_created(session, principal)
    _apply(user, body.user)
    return no_content()


@router.delete("/user/unregister", openapi_extra=USER_WRITER.openapi)
async def unregister_user(request: Request, session: DbSession) -> Response:
    """Delete the token's user with every provider account and its data (204)."""
    principal = await USER_WRITER(request)
    user = await token_user(session, principal)
    if user is None:
        return no_content()
    await link_service.delete_end_user(session, user, organization=principal.organization)
    return no_content()


__all__ = ["check_login_name", "login_name", "router"]
