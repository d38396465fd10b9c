"""MX institutions: list (paged up to 100, `name` substring), the favorites (our featured ones), read,
and their credential fields.

`code` is our institution id: `mxbank`, `credentials_bank`, `instant_bank`, ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from formats.mx import render
from gateway.collections.mx.auth import MX_READER
from gateway.collections.mx.members import InstitutionNotFound
from gateway.collections.mx.responses import (
    MAX_INSTITUTIONS_PER_PAGE,
    PageParam,
    RecordsPerPage,
    mx_response,
    page_of,
    per_page,
)
from gateway.collections.mx.routing import MxRoute
from gateway.dependencies import DbSession
from gateway.institutions.catalog import IMPORTED_PROVIDER, get_institution, list_institutions
from gateway.models.institution import Institution
from gateway.upstreams.request_scope import offered_providers

router = APIRouter(route_class=MxRoute, tags=["mx"])
CATALOGUE_LIMIT = 10_000
CountryCodes = Annotated[list[Annotated[str, Field(max_length=2)]] | None, Query(max_length=50)]


async def _linkable(session: AsyncSession, code: str) -> Institution:
    institution = await get_institution(session, code[:64])
    if institution is None or institution.provider == IMPORTED_PROVIDER:
        raise InstitutionNotFound()
    return institution


@router.get("/institutions", openapi_extra=MX_READER.openapi)
async def list_mx_institutions(
    request: Request, session: DbSession, page: PageParam = 1, records_per_page: RecordsPerPage = None,
    name: str | None = Query(default=None, max_length=200),
) -> Response:  # fmt: skip
    principal = await MX_READER(request)
    offered = await offered_providers(request, session, principal.app_id, searching=name)
    rows = await list_institutions(
        session, name=name, featured=None, after=None, limit=CATALOGUE_LIMIT, providers=offered
    )
    size = per_page(records_per_page, MAX_INSTITUTIONS_PER_PAGE)
    return page_of("institutions", [render.institution(row) for row in rows], page, size)


# Declared before /institutions/{institution_code}, which would take "favorites" for a code.
@router.get("/institutions/favorites", openapi_extra=MX_READER.openapi)
async def list_favorite_institutions(
    request: Request, session: DbSession, page: PageParam = 1, records_per_page: RecordsPerPage = None,
    iso_country_code: CountryCodes = None,
) -> Response:  # fmt: skip
    """listFavoriteInstitutions: the featured institutions, optionally of some countries (`US`, ...)."""
    principal = await MX_READER(request)
    offered = await offered_providers(request, session, principal.app_id)
    rows = await list_institutions(
        session, name=None, featured=True, after=None, limit=CATALOGUE_LIMIT, providers=offered
    )
    if iso_country_code:
        wanted = {code.upper() for code in iso_country_code}
        rows = [row for row in rows if wanted & set(row.country_codes or ["US"])]
    size = per_page(records_per_page, MAX_INSTITUTIONS_PER_PAGE)
    return page_of("institutions", [render.institution(row) for row in rows], page, size)


@router.get("/institutions/{institution_code}", openapi_extra=MX_READER.openapi)
async def read_mx_institution(institution_code: str, request: Request, session: DbSession) -> Response:
    await MX_READER(request)
    return mx_response({"institution": render.institution(await _linkable(session, institution_code))})


@router.get("/institutions/{institution_code}/credentials", openapi_extra=MX_READER.openapi)
async def list_institution_credentials(
    institution_code: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    await MX_READER(request)
    institution = await _linkable(session, institution_code)
    return page_of("credentials", render.credentials(institution), page, per_page(records_per_page))
