"""The institution catalogue: every provider's institutions, kept in the database for reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models.institution import Institution
from providers.base import InstitutionInfo
from providers.registry import PROVIDERS

IMPORTED_PROVIDER = "import"


def institution_id(provider: str, info: InstitutionInfo) -> str:
    """Sandbox institutions keep their MoneyKit ids; other providers' ids are prefixed to stay unique."""
    if provider == "sandbox":
        return info.provider_institution_id
    return f"{provider}_{info.provider_institution_id}"


async def sync_institutions(session: AsyncSession) -> int:
    """Insert or refresh every provider's institutions; returns how many there are."""
    existing = {row.id: row for row in (await session.execute(select(Institution))).scalars()}
    count = 0
    for provider_name, provider in PROVIDERS.items():
        for info in await provider.institutions():
            key = institution_id(provider_name, info)
            row = existing.get(key) or Institution(id=key, provider=provider_name)
            row.provider_institution_id = info.provider_institution_id
            row.name = info.name
            row.url = info.url
            row.color = info.color
            row.country_codes = list(info.country_codes)
            row.products = [product.value for product in info.products]
            row.credential_fields = [field.__dict__ for field in info.credential_fields]
            row.is_featured = info.is_featured
            row.is_oauth = info.login == "oauth"
            session.add(row)
            count += 1
    await session.flush()
    return count


async def get_institution(session: AsyncSession, institution_id: str) -> Institution | None:
    return await session.get(Institution, institution_id)


async def list_institutions(
    session: AsyncSession, *, name: str | None, featured: bool | None, after: str | None, limit: int
) -> list[Institution]:
    """Linkable institutions by id; import placeholders only anchor imported links and are left out."""
    statement = select(Institution).where(Institution.provider != IMPORTED_PROVIDER).order_by(Institution.id)
    if name:
        statement = statement.where(Institution.name.ilike(f"%{name}%"))
    if featured is not None:
        statement = statement.where(Institution.is_featured.is_(featured))
    if after:
        statement = statement.where(Institution.id > after)
    return list((await session.execute(statement.limit(limit))).scalars())
