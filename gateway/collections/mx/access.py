"""What an MX call may touch: the app's users (narrowed to the principal's user), and their members and
accounts as the principal may read them (gateway/links/readable.py: the token's organization too).
Another tenant's guid, a deleted member and a malformed guid all answer 404 alike."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from formats.mx.render import parse_guid
from gateway.auth.principal import AppPrincipal
from gateway.auth.tokens import TokenKind
from gateway.collections.mx.auth import MX_READER
from gateway.end_users.repository import end_user_repository
from gateway.errors import Forbidden, NotFound
from gateway.links.readable import get_link, links_of_end_user
from gateway.models.account import Account
from gateway.models.end_user import EndUser
from gateway.models.link import Link
from gateway.products.repository import product_reader

DATA_STATES = ("connected", "error")


class UserNotFound(NotFound):
    default_message = "User not found."


class MemberNotFound(NotFound):
    default_message = "Member not found."


class AccountNotFound(NotFound):
    default_message = "Account not found."


class OtherUser(Forbidden):
    default_message = "These credentials are limited to another user."


async def principal_owns(session: AsyncSession, principal: AppPrincipal, user_guid: str) -> bool:
    """Whether a user-level principal is this user (generic principals own every user of the app)."""
    if principal.kind is not TokenKind.user:
        return True
    assert principal.user is not None
    assert principal.user_field is not None
    if principal.user_field == "guid":
        return principal.user == user_guid
    own = await end_user_repository.find(
        session, principal.app_id, field=principal.user_field, value=principal.user
    )
    return own is not None and own.guid == user_guid


async def accessible_user(session: AsyncSession, principal: AppPrincipal, user_guid: str) -> EndUser:
    """The user the principal names (a user-level principal: itself only)."""
    if not await principal_owns(session, principal, user_guid):
        raise OtherUser()
    user = await end_user_repository.find(session, principal.app_id, field="guid", value=user_guid[:64])
    if user is None:
        raise UserNotFound()
    return user


async def readable_user(
    request: Request, session: AsyncSession, user_guid: str
) -> tuple[AppPrincipal, EndUser]:
    """The admitted reader and the user its route names (the start of most reads); the helpers below
    take both, and read the user's members through the principal (gateway/links/readable.py), so a
    member of another organization than the token's is missing."""
    principal = await MX_READER(request)
    return principal, await accessible_user(session, principal, user_guid)


async def accessible_member(
    session: AsyncSession, principal: AppPrincipal, user: EndUser, member_guid: str
) -> Link:
    link_id = parse_guid("member", member_guid)
    link = await get_link(session, principal, link_id) if link_id is not None else None
    if link is None or link.end_user_id != user.id or link.state == "deleted":
        raise MemberNotFound()
    return link


@dataclass(frozen=True)
class OwnedAccount:
    account: Account
    link: Link


async def data_links(
    session: AsyncSession, principal: AppPrincipal, user: EndUser, member: Link | None, product: str
) -> list[Link]:
    """The user's readable links (or just `member`) that serve data and granted `product`."""
    links = await readable_links(session, principal, user, member)
    return [link for link in links if link.state in DATA_STATES and product in link.products]


async def readable_links(
    session: AsyncSession, principal: AppPrincipal, user: EndUser, member: Link | None
) -> list[Link]:
    """The user's readable links that serve data, or just `member`."""
    return [member] if member is not None else await links_of_end_user(session, principal, user.id)


async def user_accounts(
    session: AsyncSession, principal: AppPrincipal, user: EndUser, member: Link | None = None
) -> list[OwnedAccount]:
    return await accounts_of_links(session, user, await readable_links(session, principal, user, member))


async def accounts_of_links(
    session: AsyncSession,
    user: EndUser,
    links: Sequence[Link],
    account_ids: Collection[uuid.UUID] | None = None,
) -> list[OwnedAccount]:
    """The accounts of those `links` that serve data and granted accounts (or those of them `account_ids`
    names), link by link, each link's oldest first: one query for all of them."""
    serving = {link.id: link for link in links if link.state in DATA_STATES and "accounts" in link.products}
    order = {link_id: position for position, link_id in enumerate(serving)}
    accounts = await product_reader.accounts_of_links(session, user.app_id, list(serving), account_ids)
    return [OwnedAccount(a, serving[a.link_id]) for a in sorted(accounts, key=lambda a: order[a.link_id])]


async def accessible_account(
    session: AsyncSession,
    principal: AppPrincipal,
    user: EndUser,
    account_guid: str,
    member: Link | None = None,
) -> OwnedAccount:
    account_id = parse_guid("account", account_guid)
    if account_id is None:
        raise AccountNotFound()
    links = await readable_links(session, principal, user, member)
    found = await accounts_of_links(session, user, links, [account_id])
    if not found:
        raise AccountNotFound()
    return found[0]
