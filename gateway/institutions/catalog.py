"""The institution catalogue: every provider's institutions, kept in the database for reads.

An institution is listed while its provider is configured in this deployment (`is_offered`); rows of a
provider switched off stay, since links may still name them, but are not offered to new links.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.institution import Institution
from providers.base import ConnectedInstitution, InstitutionInfo
from providers.registry import ProviderRegistry

IMPORTED_PROVIDER = "import"


def institution_id(provider: str, info: InstitutionInfo) -> str:
    """Sandbox institutions keep their MoneyKit ids; other providers' ids are prefixed to stay unique."""
    if provider == "sandbox":
        return info.provider_institution_id
    return f"{provider}_{info.provider_institution_id}"


async def sync_institutions(session: AsyncSession, providers: ProviderRegistry) -> int:
    """Insert or refresh every configured provider's institutions and offer exactly those providers';
    returns how many are offered."""
    existing = {row.id: row for row in (await session.execute(select(Institution))).scalars()}
    count = 0
    for provider in providers:
        for info in await provider.institutions():
            key = institution_id(provider.name, info)
            row = existing.get(key) or Institution(id=key, provider=provider.name)
            _describe(row, info)
            session.add(row)
            count += 1
    await session.flush()
    await session.execute(
        update(Institution)
        .where(Institution.provider.not_in(providers.names()), Institution.is_offered.is_(True))
        .values(is_offered=False)
    )
    return count


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


async def reached_institution(
    session: AsyncSession, through: Institution, reached: ConnectedInstitution
) -> Institution:
    """The directory's row for the bank a connection reached through `through` (a SimpleFIN grant names
    its bank only once claimed): created the first time, renamed when the provider renames it. It names
    links and is read by id like any institution, but is not listed: which banks other apps' end users
    reached is not for everyone to see."""
    key = f"{through.provider}_{reached.provider_institution_id}"[:64]
    row = await session.get(Institution, key)
    if row is None:
        row = Institution(
            id=key, provider=through.provider, provider_institution_id=reached.provider_institution_id,
            products=list(through.products), credential_fields=list(through.credential_fields),
            handoff=through.handoff, is_oauth=through.is_oauth, country_codes=list(through.country_codes),
            is_offered=False,
        )  # fmt: skip
        session.add(row)
    row.name, row.url = reached.name[:200], reached.url
    await session.flush()
    return row


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
    if providers is not None:  # only what one app offers its end users
        statement = statement.where(Institution.provider.in_(sorted(providers)))
    if name:
        statement = statement.where(Institution.name.ilike(f"%{name}%"))
    if featured is not None:
        statement = statement.where(Institution.is_featured.is_(featured))
    if after:
        statement = statement.where(Institution.id > after)
    return list((await session.execute(statement.limit(limit))).scalars())
