"""`GET /v1/moneykit/institutions` and `/institutions/{id}`."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from formats.moneykit import render
from gateway.auth.dependencies import require_app
from gateway.auth.tokens import TokenKind
from gateway.collections.moneykit.errors import InstitutionNotFound
from gateway.collections.moneykit.routing import MoneyKitRoute
from gateway.dependencies import DbSession
from gateway.institutions import catalog
from gateway.upstreams.request_scope import offered_providers

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
    principal = await ANY_TOKEN(request)
    offered = await offered_providers(request, session, principal.app_id, searching=name)
    rows = await catalog.list_institutions(
        session, name=name, featured=featured, after=cursor, limit=limit + 1, providers=offered
    )
    page = rows[:limit]
    next_cursor = page[-1].id if len(rows) > limit else None
    return _json(
        {"institutions": [render.institution(row) for row in page], "cursors": {"next": next_cursor}}
    )


@router.get("/institutions/{institution_id}", openapi_extra=ANY_TOKEN.openapi)
async def get_institution(institution_id: str, request: Request, session: DbSession) -> Response:
    await ANY_TOKEN(request)
    row = await catalog.get_institution(session, institution_id[:64])
    if row is None or row.provider == catalog.IMPORTED_PROVIDER:
        raise InstitutionNotFound()
    return _json(render.institution(row))
