"""The institution directory: one entry per institution, reached through one or more routes.

A route is a provider and that provider's id for the institution. Providers' lists are merged: an
institution another provider already lists under one of the same routing numbers, or else the same web
address, gains a route instead of a second entry. An institution is listed while one of its routes'
providers is configured here (`is_offered`); an app sees those of the providers it offers, and a link
goes through the best of them in the operator's order (`LINKGATE_PROVIDER_PRIORITY`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.institution import Institution, InstitutionRoute
from providers.base import ConnectedInstitution, InstitutionInfo
from providers.registry import ProviderRegistry

IMPORTED_PROVIDER = "import"


def institution_id(provider: str, info: InstitutionInfo) -> str:
    """Sandbox institutions keep their MoneyKit ids; other providers' ids are prefixed to stay unique."""
    if provider == "sandbox":
        return info.provider_institution_id
    return f"{provider}_{info.provider_institution_id}"


@dataclass(frozen=True)
class Route:
    """How a link session reaches its institution (kept in the session while the user links)."""

    provider: str
    provider_institution_id: str
    handoff: str


def _host(url: str | None) -> str | None:
    host = urlsplit(url or "").hostname
    return host.removeprefix("www.") if host else None


async def sync_institutions(
    session: AsyncSession,
    providers: ProviderRegistry,
    *,
    discovered: Mapping[str, Sequence[InstitutionInfo]] | None = None,
) -> int:
    """Insert or refresh every configured provider's institutions and routes, and offer exactly the
    institutions some configured provider reaches; returns how many routes were synced. With
    `discovered` (provider → institutions a search found), those alone are added or refreshed."""
    institutions = {row.id: row for row in (await session.execute(select(Institution))).scalars()}
    routes = {
        (r.provider, r.provider_institution_id): r
        for r in (await session.execute(select(InstitutionRoute))).scalars()
    }
    by_host = {_host(row.url): row for row in institutions.values() if row.is_offered and _host(row.url)}
    by_routing = {
        number: row for row in institutions.values() if row.is_offered for number in row.routing_numbers
    }
    count = 0
    listed = discovered if discovered is not None else {p.name: await p.institutions() for p in providers}
    for name, infos in listed.items():
        provider = providers.get(name)
        for info in infos:
            route = routes.get((provider.name, info.provider_institution_id))
            row = institutions.get(route.institution_id) if route is not None else None
            if row is None:
                row = institutions.get(institution_id(provider.name, info)) or _merged(
                    by_host, by_routing, provider.name, info
                )
            if row is None or row.provider == provider.name:
                row = row or Institution(id=institution_id(provider.name, info), provider=provider.name)
                _describe(row, info)
                session.add(row)
                institutions[row.id] = row
                if _host(row.url):
                    by_host.setdefault(_host(row.url), row)
                for number in row.routing_numbers:
                    by_routing.setdefault(number, row)
            route = route or InstitutionRoute(
                provider=provider.name, provider_institution_id=info.provider_institution_id
            )
            route.institution_id, route.handoff = row.id, info.login
            route.credential_fields = [vars(field) for field in info.credential_fields]
            route.priority = providers.rank(provider.name)
            session.add(route)
            routes[(provider.name, info.provider_institution_id)] = route
            count += 1
    await session.flush()
    if discovered is not None:
        return count
    reachable = exists().where(
        InstitutionRoute.institution_id == Institution.id, InstitutionRoute.provider.in_(providers.names())
    )
    await session.execute(
        update(Institution).where(Institution.is_offered.is_(True), ~reachable).values(is_offered=False)
    )
    return count


def _merged(
    by_host: dict[str | None, Institution],
    by_routing: dict[str, Institution],
    provider: str,
    info: InstitutionInfo,
) -> Institution | None:
    """Another provider's entry for the same institution (a routing number in common, or else the same
    web address), if there is one."""
    candidates = [by_routing.get(number) for number in info.routing_numbers] + [by_host.get(_host(info.url))]
    return next((row for row in candidates if row is not None and row.provider != provider), None)


def _describe(row: Institution, info: InstitutionInfo) -> None:
    row.provider_institution_id = info.provider_institution_id
    row.name = info.name
    row.url = info.url
    row.color = info.color
    row.country_codes = list(info.country_codes)
    row.products = [product.value for product in info.products]
    row.credential_fields = [field.__dict__ for field in info.credential_fields]
    row.is_featured = info.is_featured
    row.is_oauth = info.login == "redirect"
    row.handoff = info.login
    row.is_offered = True
    row.routing_numbers = list(info.routing_numbers)


async def reached_institution(
    session: AsyncSession, through: Institution, reached: ConnectedInstitution, provider: str
) -> Institution:
    """The directory's row for the bank a connection reached through `through` (a SimpleFIN grant names
    its bank only once claimed): created the first time, renamed when the provider renames it. It names
    links and is read by id like any institution, but is not listed: which banks other apps' end users
    reached is not for everyone to see."""
    key = f"{provider}_{reached.provider_institution_id}"[:64]
    row = await session.get(Institution, key)
    if row is None:
        row = Institution(
            id=key, provider=provider, provider_institution_id=reached.provider_institution_id,
            products=list(through.products), credential_fields=list(through.credential_fields),
            handoff=through.handoff, is_oauth=through.is_oauth, country_codes=list(through.country_codes),
            is_offered=False,
        )  # fmt: skip
        session.add(row)
        session.add(InstitutionRoute(
            institution_id=key, provider=provider, handoff=through.handoff,
            credential_fields=list(through.credential_fields),
            provider_institution_id=reached.provider_institution_id,
        ))  # fmt: skip
    row.name, row.url = reached.name[:200], reached.url
    await session.flush()
    return row


async def routes_of(
    session: AsyncSession, institution_ids: Sequence[str], providers: Collection[str]
) -> dict[str, InstitutionRoute]:
    """Each institution's best route through `providers` (lowest priority first; then by provider)."""
    if not institution_ids:
        return {}
    statement = (
        select(InstitutionRoute)
        .where(
            InstitutionRoute.institution_id.in_(list(institution_ids)),
            InstitutionRoute.provider.in_(sorted(providers)),
        )
        .order_by(InstitutionRoute.priority.desc(), InstitutionRoute.provider.desc())
    )
    return {route.institution_id: route for route in (await session.execute(statement)).scalars()}


async def routed_institution(
    session: AsyncSession, provider: str, provider_institution_id: str
) -> Institution | None:
    """The directory's entry a provider's institution is routed to, if it has one."""
    statement = (
        select(Institution)
        .join(InstitutionRoute, InstitutionRoute.institution_id == Institution.id)
        .where(
            InstitutionRoute.provider == provider,
            InstitutionRoute.provider_institution_id == provider_institution_id,
        )
    )
    return await session.scalar(statement)


async def first_route_ids(session: AsyncSession, institution_ids: Collection[str]) -> dict[str, int]:
    """Each institution's oldest route id: a number that never changes while the institution exists."""
    if not institution_ids:
        return {}
    statement = (
        select(InstitutionRoute.institution_id, func.min(InstitutionRoute.id))
        .where(InstitutionRoute.institution_id.in_(sorted(institution_ids)))
        .group_by(InstitutionRoute.institution_id)
    )
    return {institution: first for institution, first in (await session.execute(statement)).all()}


async def get_institution(session: AsyncSession, institution_id: str) -> Institution | None:
    return await session.get(Institution, institution_id)


async def list_institutions(
    session: AsyncSession,
    *,
    name: str | None,
    featured: bool | None,
    after: str | None,
    limit: int,
    providers: Collection[str] | None = None,
) -> list[Institution]:
    """Linkable institutions by id: those of configured providers (import placeholders, which only
    anchor imported links, are never offered)."""
    statement = select(Institution).where(Institution.is_offered.is_(True)).order_by(Institution.id)
    if providers is not None:  # only what one app's providers reach
        statement = statement.where(
            exists().where(
                InstitutionRoute.institution_id == Institution.id,
                InstitutionRoute.provider.in_(sorted(providers)),
            )
        )
    if name:
        statement = statement.where(Institution.name.ilike(f"%{name}%"))
    if featured is not None:
        statement = statement.where(Institution.is_featured.is_(featured))
    if after:
        statement = statement.where(Institution.id > after)
    return list((await session.execute(statement.limit(limit))).scalars())
