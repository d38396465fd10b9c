"""`GET /v1/moneykit/institutions` and `/institutions/{id}`."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from gateway.auth.dependencies import require_app
from gateway.auth.tokens import TokenKind
from gateway.collections.moneykit.errors import InstitutionNotFound
from gateway.collections.moneykit.routing import MoneyKitRoute
from gateway.dependencies import DbSession
from gateway.links.imports import IMPORTED_PROVIDER
from gateway.models.institution import Institution
from providers.moneykit import render

router = APIRouter(route_class=MoneyKitRoute, tags=["moneykit"])

ANY_TOKEN = require_app(TokenKind.generic, TokenKind.user, TokenKind.item)


def _json(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/institutions", openapi_extra=ANY_TOKEN.openapi)
async def get_institutions(
    request: Request,
    session: DbSession,
    name: Annotated[str | None, Query(max_length=200)] = None,
    featured: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    """Institutions by name (contains, case-insensitive) or featured flag, cursor-paged by institution id."""
    await ANY_TOKEN(request)
    # Import placeholders exist only to anchor imported links; they are not institutions to link.
    statement = (
        select(Institution)
        .where(Institution.provider != IMPORTED_PROVIDER)
        .order_by(Institution.id)
        .limit(limit + 1)
    )
    if name:
        statement = statement.where(Institution.name.ilike(f"%{name}%"))
    if featured is not None:
        statement = statement.where(Institution.is_featured.is_(featured))
    if cursor:
        statement = statement.where(Institution.id > cursor)
    rows = list((await session.execute(statement)).scalars())
    page = rows[:limit]
    next_cursor = page[-1].id if len(rows) > limit else None
    return _json(
        {"institutions": [render.institution(row) for row in page], "cursors": {"next": next_cursor}}
    )


@router.get("/institutions/{institution_id}", openapi_extra=ANY_TOKEN.openapi)
async def get_institution(institution_id: str, request: Request, session: DbSession) -> Response:
    await ANY_TOKEN(request)
    row = await session.get(Institution, institution_id[:64])
    if row is None:
        raise InstitutionNotFound()
    return _json(render.institution(row))
