"""The SQL behind the Yodlee routes, always within one app (and, for user routes, one end user).

Links come from the readable statement (gateway/links/readable.py) and transactions from the shared
reader (gateway/transactions/repository.py); what stays here is Yodlee's own shapes: accounts,
balances and holdings of links already read, and the data extracts' change windows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from gateway.auth.principal import AppPrincipal
from gateway.links.readable import readable_links
from gateway.links.repository import SERVING_STATES
from gateway.models.account import Account, AccountBalance
from gateway.models.end_user import EndUser
from gateway.models.investment import Holding, Security
from gateway.models.link import Link
from gateway.models.refresh import RefreshJob
from gateway.models.transaction import Transaction

# Provider accounts: links that serve data (connected or in error), and links still logging in (an MFA
# challenge waiting for its answer, as Yodlee lists them: USER_INPUT_REQUIRED).
PROVIDER_ACCOUNT_STATES = (*SERVING_STATES, "connecting")


async def refreshing(
    session: AsyncSession, app_id: uuid.UUID, link_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of the links have a refresh waiting or running."""
    if not link_ids:
        return set()
    statement = select(RefreshJob.link_id).where(
        RefreshJob.app_id == app_id, RefreshJob.link_id.in_(link_ids),
        RefreshJob.status.in_(("pending", "running")),
    )  # fmt: skip
    return set((await session.execute(statement)).scalars())


async def balance_history(
    session: AsyncSession, app_id: uuid.UUID, account_ids: Sequence[uuid.UUID], start: dt.date, end: dt.date
) -> list[AccountBalance]:
    """The accounts' balance snapshots from `start` to `end`, and each account's last one before `start`
    (what a carried-forward balance on `start` shows)."""
    if not account_ids:
        return []
    in_window = select(AccountBalance).where(
        AccountBalance.app_id == app_id, AccountBalance.account_id.in_(account_ids),
        AccountBalance.day >= start, AccountBalance.day <= end,
    )  # fmt: skip
    last_before = (
        select(AccountBalance.account_id, func.max(AccountBalance.day).label("day"))
        .where(AccountBalance.app_id == app_id, AccountBalance.account_id.in_(account_ids),
               AccountBalance.day < start)
        .group_by(AccountBalance.account_id)
        .subquery()
    )  # fmt: skip
    before = (
        select(AccountBalance)
        .join(
            last_before,
            (AccountBalance.account_id == last_before.c.account_id)
            & (AccountBalance.day == last_before.c.day),
        )
        .where(AccountBalance.app_id == app_id)
    )
    rows = list((await session.execute(in_window)).scalars()) + list(
        (await session.execute(before)).scalars()
    )
    return sorted(rows, key=lambda row: (row.account_id, row.day))


async def holdings_of(
    session: AsyncSession,
    app_id: uuid.UUID,
    link_ids: Sequence[uuid.UUID],
    account_ids: Sequence[uuid.UUID] | None,
) -> list[tuple[Holding, Security]]:
    if not link_ids:
        return []
    statement = (
        select(Holding, Security)
        .join(Security, Security.id == Holding.security_id)
        .where(Holding.app_id == app_id, Security.app_id == app_id, Holding.link_id.in_(link_ids))
        .order_by(Holding.created_at, Security.name, Holding.id)
    )
    if account_ids is not None:
        statement = statement.where(Holding.account_id.in_(account_ids))
    return [(holding, security) for holding, security in (await session.execute(statement)).all()]


# Data extracts ---------------------------------------------------------------------------------


async def users_changed(
    session: AsyncSession, app_id: uuid.UUID, start: dt.datetime, end: dt.datetime
) -> list[EndUser]:
    """End users whose links, accounts or transactions changed between `start` and `end`."""
    changed_links = select(Link.end_user_id).where(Link.app_id == app_id, Link.updated_at.between(start, end))
    changed_accounts = (
        select(Link.end_user_id).join(Account, Account.link_id == Link.id)
        .where(Account.app_id == app_id, Link.app_id == app_id, Account.updated_at.between(start, end))
    )  # fmt: skip
    changed_transactions = (
        select(Link.end_user_id).join(Transaction, Transaction.link_id == Link.id)
        .where(Transaction.app_id == app_id, Link.app_id == app_id,
               Transaction.updated_at.between(start, end))
    )  # fmt: skip
    statement = (
        select(EndUser)
        .where(
            EndUser.app_id == app_id,
            or_(EndUser.id.in_(changed_links), EndUser.id.in_(changed_accounts),
                EndUser.id.in_(changed_transactions)),
        )
        .order_by(EndUser.created_at, EndUser.id)
    )  # fmt: skip
    return list((await session.execute(statement)).scalars())


async def links_changed(
    session: AsyncSession,
    principal: AppPrincipal,
    end_user_id: uuid.UUID,
    start: dt.datetime,
    end: dt.datetime,
) -> list[Link]:
    """The user's links the principal may read (deleted ones too) that changed in the window, or whose
    data did."""
    app_id = principal.app_id
    accounts = select(Account.link_id).where(Account.app_id == app_id, Account.updated_at.between(start, end))
    transactions = select(Transaction.link_id).where(
        Transaction.app_id == app_id, Transaction.updated_at.between(start, end)
    )
    statement = (
        readable_links(principal)
        .where(
            Link.end_user_id == end_user_id,
            or_(Link.updated_at.between(start, end), Link.id.in_(accounts), Link.id.in_(transactions)),
        )
        .options(joinedload(Link.institution, innerjoin=True))
        .order_by(Link.created_at, Link.id)
    )  # fmt: skip
    return list((await session.execute(statement)).scalars())


async def accounts_changed(
    session: AsyncSession,
    app_id: uuid.UUID,
    link_ids: Sequence[uuid.UUID],
    start: dt.datetime,
    end: dt.datetime,
) -> list[Account]:
    if not link_ids:
        return []
    statement = (
        select(Account)
        .where(
            Account.app_id == app_id, Account.link_id.in_(link_ids), Account.updated_at.between(start, end)
        )
        .order_by(Account.created_at, Account.id)
    )
    return list((await session.execute(statement)).scalars())
