"""Which link a MoneyKit call may touch: one the principal may read (gateway/links/readable.py)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import AppPrincipal
from gateway.collections.moneykit.errors import LinkDeleted, LinkForbiddenAction, LinkNotFound
from gateway.links.readable import get_link
from gateway.models.link import Link


async def accessible_link(
    session: AsyncSession, principal: AppPrincipal, link_id: str, *, readable_if_deleted: bool = False
) -> Link:
    """The link; `link_error.not_found` exactly as if missing, or `link_error.deleted` once deleted."""
    try:
        parsed = uuid.UUID(link_id)
    except ValueError as exc:
        raise LinkNotFound() from exc
    link = await get_link(session, principal, parsed)
    if link is None:
        raise LinkNotFound()
    if link.state == "deleted" and not readable_if_deleted:
        raise LinkDeleted()
    return link


async def product_link(session: AsyncSession, principal: AppPrincipal, link_id: str, product: str) -> Link:
    """The link as `accessible_link` finds it, if `product` was granted on it."""
    link = await accessible_link(session, principal, link_id)
    require_product(link, product)
    return link


def require_product(link: Link, product: str) -> None:
    if product not in link.products:
        raise LinkForbiddenAction(f"The {product} product was not granted for this link.")
