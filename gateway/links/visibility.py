"""Which links a caller's token lets it see: all of the app's, one end user's, or one link."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import AppPrincipal
from gateway.auth.tokens import TokenKind
from gateway.end_users.repository import end_user_repository
from gateway.models.link import Link


async def link_visible_to(session: AsyncSession, principal: AppPrincipal, link: Link) -> bool:
    """Whether a link of the principal's app is within its token (item tokens: that link; user: theirs)."""
    if principal.kind is TokenKind.item:
        return principal.item == str(link.id)
    if principal.kind is TokenKind.user:
        assert principal.user is not None
        assert principal.user_field is not None
        user = await end_user_repository.find(
            session, principal.app_id, field=principal.user_field, value=principal.user
        )
        return user is not None and user.id == link.end_user_id
    return True
