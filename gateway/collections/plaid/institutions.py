"""Plaid institutions: `/institutions/get`, `/institutions/get_by_id` and `/institutions/search`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from formats.plaid import render
from gateway.collections.plaid.auth import READER
from gateway.collections.plaid.errors import InvalidInstitution
from gateway.collections.plaid.requests import PlaidRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart
from gateway.institutions.catalog import IMPORTED_PROVIDER, get_institution, list_institutions
from gateway.models.institution import Institution
from gateway.upstreams.request_scope import offered_providers

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])
SEARCH_LIMIT = 50
CATALOG_LIMIT = 10_000  # the whole catalogue: countries and products are filtered here, not in SQL

CountryCodes = Annotated[
    list[Annotated[str, Field(min_length=2, max_length=2)]], Field(min_length=1, max_length=20)
]


class InstitutionsGetOptions(BodyPart):
    model_config = ConfigDict(extra="ignore")

    products: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=20)
    oauth: bool | None = None


class InstitutionsGetRequest(PlaidRequest):
    count: int = Field(ge=1, le=500)
    offset: int = Field(ge=0, le=1_000_000)
    country_codes: CountryCodes
    options: InstitutionsGetOptions | None = None


class InstitutionsGetByIdRequest(PlaidRequest):
    institution_id: str = Field(min_length=1, max_length=64)
    country_codes: CountryCodes


class InstitutionsSearchRequest(PlaidRequest):
    query: str = Field(min_length=1, max_length=100, pattern=r"\S")
    products: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=20)
    country_codes: CountryCodes
    options: InstitutionsGetOptions | None = None


def _matches(row: Institution, countries: set[str], options: InstitutionsGetOptions) -> bool:
    rendered = render.institution(row)
    if not countries & set(row.country_codes):
        return False
    if options.oauth is not None and row.is_oauth != options.oauth:
        return False
    return not options.products or set(options.products) <= set(rendered["products"])


@router.post("/institutions/get", openapi_extra=READER.openapi)
async def institutions_get(body: InstitutionsGetRequest, request: Request, session: DbSession) -> Response:
    """Institutions in the given countries (optionally with products or OAuth), `count` from `offset`."""
    principal = await READER(request, body)
    offered = await offered_providers(request, session, principal.app_id)
    rows = await list_institutions(
        session, name=None, featured=None, after=None, limit=CATALOG_LIMIT, providers=offered
    )
    rows.sort(key=lambda row: (row.name, row.id))
    options = body.options or InstitutionsGetOptions()
    matching = [row for row in rows if _matches(row, set(body.country_codes), options)]
    page = matching[body.offset : body.offset + body.count]
    return plaid_response({"institutions": [render.institution(row) for row in page], "total": len(matching)})


@router.post("/institutions/get_by_id", openapi_extra=READER.openapi)
async def institutions_get_by_id(
    body: InstitutionsGetByIdRequest, request: Request, session: DbSession
) -> Response:
    await READER(request, body)
    row = await get_institution(session, body.institution_id)
    if (
        row is None
        or row.provider == IMPORTED_PROVIDER
        or not set(body.country_codes) & set(row.country_codes)
    ):
        raise InvalidInstitution(f"invalid institution_id provided: {body.institution_id}")
    return plaid_response({"institution": render.institution(row)})


@router.post("/institutions/search", openapi_extra=READER.openapi)
async def institutions_search(
    body: InstitutionsSearchRequest, request: Request, session: DbSession
) -> Response:
    """Institutions whose name contains `query` (any case), in the given countries, with every product
    in `products` (and OAuth or not, with `options.oauth`); at most `SEARCH_LIMIT`, by name."""
    principal = await READER(request, body)
    offered = await offered_providers(request, session, principal.app_id, searching=body.query)
    rows = await list_institutions(
        session, name=None, featured=None, after=None, limit=CATALOG_LIMIT, providers=offered
    )
    rows.sort(key=lambda row: (row.name, row.id))
    options = body.options or InstitutionsGetOptions()
    options = options.model_copy(update={"products": [*(body.products or []), *(options.products or [])]})
    query = body.query.strip().casefold()  # matched here, not in SQL: `%` and `_` are letters in a query
    countries = set(body.country_codes)
    matching = [row for row in rows if query in row.name.casefold() and _matches(row, countries, options)]
    return plaid_response({"institutions": [render.institution(row) for row in matching[:SEARCH_LIMIT]]})
