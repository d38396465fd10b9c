"""Who may call a Yodlee route, and which end user a user token stands for.

A Yodlee user token is our `user` token for that loginName (Link Money user tokens work the same);
the admin token is our `generic` token. The loginName is the value of the app's user-id field.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.dependencies import require_app
from gateway.auth.principal import AppPrincipal, Scope
from gateway.auth.tokens import TokenKind
from gateway.end_users.repository import USER_ID_COLUMNS, end_user_repository
from gateway.end_users.service import get_or_create_token_user
from gateway.models.end_user import EndUser

USER_READER = require_app(TokenKind.user, scope=Scope.read)
USER_WRITER = require_app(TokenKind.user, scope=Scope.write_links)
ADMIN = require_app(TokenKind.generic, scope=Scope.configure)
ADMIN_READER = require_app(TokenKind.generic, scope=Scope.read)
MEDIA_TYPE = "application/json;charset=UTF-8"


def json_response(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type=MEDIA_TYPE)


def no_content(status_code: int = 204) -> Response:
    return Response(status_code=status_code)


async def token_user(session: AsyncSession, principal: AppPrincipal) -> EndUser | None:
    """The end user a user token names, if they exist yet."""
    assert principal.user is not None
    assert principal.user_field is not None
    return await end_user_repository.find(
        session, principal.app_id, field=principal.user_field, value=principal.user
    )


async def token_user_created(session: AsyncSession, principal: AppPrincipal) -> EndUser:
    """The token's end user, created if new: a Yodlee token for a new loginName registers it."""
    assert principal.user is not None
    assert principal.user_field is not None
    return await get_or_create_token_user(session, principal.app_id, principal.user_field, principal.user)


def login_name(user: EndUser, user_field: str) -> str:
    """The loginName Yodlee clients know a user by: the app's configured user-id field."""
    value = getattr(user, USER_ID_COLUMNS[user_field].key)
    return str(value) if value is not None else user.guid
