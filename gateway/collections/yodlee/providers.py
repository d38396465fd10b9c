"""`GET /providers` and `/providers/{providerId}`: our institutions as Yodlee providers.

Provider ids are a small fixed table, so they are the same integers on every gateway and every day.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from formats.yodlee import render
from gateway.auth.dependencies import require_app
from gateway.auth.principal import Scope
from gateway.auth.tokens import TokenKind
from gateway.collections.yodlee.access import json_response
from gateway.collections.yodlee.errors import YodleeError, invalid_value
from gateway.collections.yodlee.ids import parse_id
from gateway.collections.yodlee.params import bounded
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.dependencies import DbSession
from gateway.institutions.catalog import (
    IMPORTED_PROVIDER,
    first_route_ids,
    get_institution,
    list_institutions,
)
from gateway.models.institution import Institution, InstitutionRoute
from gateway.text import is_storable
from gateway.upstreams.request_scope import offered_providers

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])

PROVIDER_READER = require_app(TokenKind.generic, TokenKind.user, scope=Scope.read)
PROVIDER_IDS = {
    "credentials_bank": 100001,
    "oauth_bank": 100002,
    "instant_bank": 100003,
    "simplefin_bridge": 100004,
}
INSTITUTION_IDS = {number: institution for institution, number in PROVIDER_IDS.items()}
# Institutions an upstream reaches (Plaid's, found by searching) are numbered past the table: this plus
# the id of the institution's first route, which never changes.
ROUTED = 1_000_000
LOCAL_PROVIDERS = frozenset({"sandbox", IMPORTED_PROVIDER})  # beyond the table, the sandbox serves none
MAX_TOP = 500


async def provider_numbers(session: AsyncSession, institution_ids: Iterable[str]) -> dict[str, int]:
    """The provider ids of our institutions (one outside the table and without a route has none)."""
    wanted = set(institution_ids)
    numbers = {institution: PROVIDER_IDS[institution] for institution in wanted & set(PROVIDER_IDS)}
    routed = await first_route_ids(session, wanted - set(numbers))
    return numbers | {institution: ROUTED + first for institution, first in routed.items()}


async def provider_institution(session: AsyncSession, number: int) -> Institution:
    institution_id = INSTITUTION_IDS.get(number)
    if institution_id is None and number > ROUTED:
        route = await session.get(InstitutionRoute, number - ROUTED)
        if (
            route is not None
            and (await provider_numbers(session, [route.institution_id])).get(route.institution_id) == number
        ):
            institution_id = route.institution_id
    institution = await get_institution(session, institution_id) if institution_id else None
    if institution is None or not _served(institution):
        raise invalid_value("providerId")
    return institution


def _served(institution: Institution) -> bool:
    """Yodlee serves its table, and institutions an upstream reaches (not the sandbox's other banks)."""
    return institution.id in PROVIDER_IDS or institution.provider not in LOCAL_PROVIDERS


async def _matching(
    session: DbSession, name: str | None, provider_ids: str | None, offered: set[str]
) -> list[tuple[int, Institution]]:
    """The providers `name` (a search) and `providerId` (up to 5 ids) select among those the app's
    upstream providers reach, in provider id order."""
    if name is not None and not is_storable(name):
        raise invalid_value("name")
    if name is not None and not name.strip():
        raise YodleeError("Y801", "Invalid length for name")
    wanted = None
    if provider_ids is not None:
        wanted = [parse_id(part, "providerId") for part in provider_ids.split(",")]
        if len(wanted) > 5:
            raise YodleeError("Y824", "The maximum number of providerId permitted is 5")
    institutions = await list_institutions(
        session, name=name, featured=None, after=None, limit=1000, providers=offered
    )
    numbers = await provider_numbers(session, [i.id for i in institutions if _served(i)])
    served = [(numbers[i.id], i) for i in institutions if i.id in numbers]
    return sorted(((n, i) for n, i in served if wanted is None or n in wanted), key=lambda pair: pair[0])


@router.get("/providers", openapi_extra=PROVIDER_READER.openapi)
async def get_all_providers(
    request: Request,
    session: DbSession,
    name: Annotated[str | None, Query(max_length=200)] = None,
    provider_ids: Annotated[str | None, Query(alias="providerId", max_length=200)] = None,
    skip: Annotated[str | None, Query(max_length=12)] = None,
    top: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """Providers by id; `name` searches, `providerId` takes up to 5 ids, `skip`/`top` page (top ≤ 500).
    With `name`, skip and top are "not applicable" (the description): ignored, as Yodlee does."""
    principal = await PROVIDER_READER(request)
    offered = await offered_providers(request, session, principal.app_id, searching=name)
    served = await _matching(session, name, provider_ids, offered)
    if name is not None:
        return json_response({"provider": [render.provider(i, number) for number, i in served]})
    offset = bounded(skip, "skip", 0, 2**31 - 1, default=0)
    limit = bounded(top, "top", 1, MAX_TOP, default=MAX_TOP)
    page = served[offset : offset + limit]
    return json_response({"provider": [render.provider(i, number) for number, i in page]})


# Declared before /providers/{providerId}, which would otherwise take "count" for an id.
@router.get("/providers/count", openapi_extra=PROVIDER_READER.openapi)
async def get_providers_count(
    request: Request,
    session: DbSession,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """How many providers `GET /providers` returns for the same `name`."""
    principal = await PROVIDER_READER(request)
    offered = await offered_providers(request, session, principal.app_id, searching=name)
    total = len(await _matching(session, name, None, offered))
    return json_response({"provider": {"TOTAL": {"count": total}}})


@router.get("/providers/{providerId}", openapi_extra=PROVIDER_READER.openapi)
async def get_provider(providerId: str, request: Request, session: DbSession) -> Response:
    """One provider with its login form, as an array of one."""
    await PROVIDER_READER(request)
    number = parse_id(providerId, "providerId")
    institution = await provider_institution(session, number)
    return json_response({"provider": [render.provider(institution, number, detail=True)]})
