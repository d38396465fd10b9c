"""Accounts, account numbers, owners and investments of a link, upserted from normalised provider data."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import conflict_insert
from gateway.integer_ids.repository import IdKind, holding_key, issue
from gateway.models.account import Account, AccountBalance, AccountNumber, AccountOwner
from gateway.models.base import utcnow
from gateway.models.investment import Holding, InvestmentTransaction, Security
from gateway.models.transaction import Transaction, TransactionDayCount
from providers.base import Investments, NormalizedAccount, NormalizedAccountNumbers, NormalizedOwner

AccountIds = Mapping[str, uuid.UUID]


def _likeness(kind: str, subtype: str | None, mask: str | None, name: str) -> tuple[str, str, str, str]:
    """What makes two providers' accounts the same account."""
    return kind, subtype or "", mask or "", " ".join(name.lower().split())


class ProductRepository:
    async def erase_link_data(self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID) -> None:
        """Every account of the link and what hangs off them: numbers, owners, holdings, transactions and
        their counts."""
        for model in (
            TransactionDayCount,
            Transaction,
            InvestmentTransaction,
            Holding,
            AccountBalance,
            Account,
        ):
            await session.execute(delete(model).where(model.app_id == app_id, model.link_id == link_id))

    async def account_ids(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID
    ) -> dict[str, uuid.UUID]:
        statement = select(Account.provider_account_id, Account.id).where(
            Account.app_id == app_id, Account.link_id == link_id
        )
        return {
            provider_id: account_id for provider_id, account_id in (await session.execute(statement)).all()
        }

    async def upsert_accounts(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_id: uuid.UUID,
        accounts: Sequence[NormalizedAccount],
    ) -> dict[str, uuid.UUID]:
        statement = select(Account).where(Account.app_id == app_id, Account.link_id == link_id)
        existing = {row.provider_account_id: row for row in (await session.execute(statement)).scalars()}
        created: list[Account] = []
        for account in accounts:
            row = existing.get(account.provider_account_id)
            if row is None:
                row = Account(app_id=app_id, link_id=link_id, provider_account_id=account.provider_account_id)
                session.add(row)
                existing[account.provider_account_id] = row
                created.append(row)
            row.name, row.official_name = account.name, account.official_name
            row.type, row.subtype, row.mask, row.currency = (
                account.type,
                account.subtype,
                account.mask,
                account.currency,
            )
            row.balance_current, row.balance_available = account.balance_current, account.balance_available
            row.balance_limit, row.balances_as_of = account.balance_limit, account.balances_as_of
        await session.flush()
        await issue(session, app_id, IdKind.account, [row.id for row in created])
        stored = {existing[a.provider_account_id].id: existing[a.provider_account_id] for a in accounts}
        await self._record_balances(session, app_id, link_id, list(stored.values()))
        return {provider_id: row.id for provider_id, row in existing.items()}

    async def adopt_accounts(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_id: uuid.UUID,
        accounts: Sequence[NormalizedAccount],
    ) -> dict[str, str]:
        """The link reaches its bank through another provider now: each stored account takes the new
        provider's id of the account that is the same (type, subtype, mask and name), so it keeps its
        id, its history and its transactions. Returns the old provider ids with their new ones."""
        statement = select(Account).where(Account.app_id == app_id, Account.link_id == link_id)
        stored = list((await session.execute(statement)).scalars())
        known = {row.provider_account_id for row in stored}
        arriving = {
            _likeness(a.type, a.subtype, a.mask, a.name): a
            for a in accounts
            if a.provider_account_id not in known
        }
        renamed: dict[str, str] = {}
        for row in sorted(stored, key=lambda r: r.provider_account_id):
            match = arriving.pop(_likeness(row.type, row.subtype, row.mask, row.name), None)
            if match is not None:
                renamed[row.provider_account_id] = match.provider_account_id
                row.provider_account_id = match.provider_account_id
        await session.flush()
        return renamed

    async def _record_balances(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, rows: Sequence[Account]
    ) -> None:
        """Today's point of each account's balance history: the day's last refresh wins."""
        if not rows:
            return
        now = utcnow()
        values = [
            {"id": uuid.uuid4(), "app_id": app_id, "account_id": row.id, "link_id": link_id,
             "day": (row.balances_as_of or now).astimezone(dt.UTC).date(), "currency": row.currency,
             "current": row.balance_current, "available": row.balance_available,
             "as_of": row.balances_as_of or now, "created_at": now, "updated_at": now}
            for row in rows
        ]  # fmt: skip
        statement = (await conflict_insert(session, AccountBalance)).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["account_id", "day"],
            set_={name: statement.excluded[name] for name in ("currency", "current", "available", "as_of",
                                                              "updated_at")},
        )  # fmt: skip
        await session.execute(statement, execution_options={"synchronize_session": False})

    async def replace_account_numbers(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        ids: AccountIds,
        numbers: Sequence[NormalizedAccountNumbers],
    ) -> None:
        await session.execute(
            delete(AccountNumber).where(
                AccountNumber.app_id == app_id, AccountNumber.account_id.in_(list(ids.values()))
            )
        )
        for number in numbers:
            session.add(
                AccountNumber(
                    app_id=app_id,
                    account_id=ids[number.provider_account_id],
                    kind=number.kind,
                    account_number=number.account_number,
                    routing_number=number.routing_number,
                    wire_routing_number=number.wire_routing_number,
                    branch_number=number.branch_number,
                    bic=number.bic,
                )  # fmt: skip
            )
        await session.flush()

    async def replace_owners(
        self, session: AsyncSession, app_id: uuid.UUID, ids: AccountIds, owners: Sequence[NormalizedOwner]
    ) -> None:
        await session.execute(
            delete(AccountOwner).where(
                AccountOwner.app_id == app_id, AccountOwner.account_id.in_(list(ids.values()))
            )
        )
        for owner in owners:
            session.add(
                AccountOwner(
                    app_id=app_id,
                    account_id=ids[owner.provider_account_id],
                    names=list(owner.names),
                    emails=[dict(e) for e in owner.emails],
                    phone_numbers=[dict(p) for p in owner.phone_numbers],
                    addresses=[dict(a) for a in owner.addresses],
                )  # fmt: skip
            )
        await session.flush()

    async def replace_investments(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, ids: AccountIds, data: Investments
    ) -> None:
        securities = await self._upsert_securities(session, app_id, data)
        await session.execute(delete(Holding).where(Holding.app_id == app_id, Holding.link_id == link_id))
        holdings = [
            Holding(
                app_id=app_id,
                link_id=link_id,
                account_id=ids[holding.provider_account_id],
                security_id=securities[holding.provider_security_id],
                quantity=holding.quantity,
                institution_price=holding.institution_price,
                institution_value=holding.institution_value,
                cost_basis=holding.cost_basis,
                currency=holding.currency,
            )
            for holding in data.holdings
        ]
        session.add_all(holdings)
        keys = [holding_key(row.account_id, row.security_id) for row in holdings]
        await issue(session, app_id, IdKind.holding, keys)
        statement = select(InvestmentTransaction).where(
            InvestmentTransaction.app_id == app_id, InvestmentTransaction.link_id == link_id
        )
        known = {
            row.provider_investment_transaction_id: row
            for row in (await session.execute(statement)).scalars()
        }
        for trade in data.transactions:
            row = known.get(trade.provider_investment_transaction_id) or InvestmentTransaction(
                app_id=app_id,
                link_id=link_id,
                provider_investment_transaction_id=trade.provider_investment_transaction_id,
            )
            row.account_id = ids[trade.provider_account_id]
            row.security_id = (
                securities.get(trade.provider_security_id) if trade.provider_security_id else None
            )
            row.name, row.type, row.amount, row.date, row.currency = (
                trade.name,
                trade.type,
                trade.amount,
                trade.date,
                trade.currency,
            )
            row.quantity, row.price, row.fees = trade.quantity, trade.price, trade.fees
            session.add(row)
        await session.flush()

    async def _upsert_securities(
        self, session: AsyncSession, app_id: uuid.UUID, data: Investments
    ) -> dict[str, uuid.UUID]:
        """Securities are shared by the app's links, so two links refreshing at once may both write one:
        a real upsert on (app, provider security id), never a read-then-insert."""
        if not data.securities:
            return {}
        now = utcnow()
        rows = [
            {"id": uuid.uuid4(), "app_id": app_id, "provider_security_id": s.provider_security_id,
             "name": s.name, "type": s.type, "currency": s.currency, "ticker_symbol": s.ticker_symbol,
             "cusip": s.cusip, "isin": s.isin, "close_price": s.close_price,
             "close_price_as_of": s.close_price_as_of, "created_at": now, "updated_at": now}
            for s in data.securities
        ]  # fmt: skip
        values = (await conflict_insert(session, Security)).values(rows)
        changing = ("name", "type", "currency", "ticker_symbol", "cusip", "isin", "close_price",
                    "close_price_as_of", "updated_at")  # fmt: skip
        upsert = values.on_conflict_do_update(
            index_elements=["app_id", "provider_security_id"],
            set_={column: values.excluded[column] for column in changing},
        ).returning(Security.provider_security_id, Security.id)
        result = await session.execute(upsert, execution_options={"synchronize_session": False})
        return {provider_id: row_id for provider_id, row_id in result.all()}


product_repository = ProductRepository()


# Built once: most reads of a link start here, and building and keying it cost more than running it.
LINK_ACCOUNTS = (
    select(Account)
    .where(Account.app_id == bindparam("app_id"), Account.link_id == bindparam("link_id"))
    .order_by(Account.created_at, Account.id)
)
SOME_LINK_ACCOUNTS = LINK_ACCOUNTS.where(Account.id.in_(bindparam("account_ids", expanding=True)))


class ProductReader:
    """Reads of stored product data for one link (tenant-scoped by the link's app)."""

    async def accounts(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, account_ids: Sequence[str] = ()
    ) -> list[Account]:
        parameters = {"app_id": app_id, "link_id": link_id}
        if not account_ids:
            return list((await session.scalars(LINK_ACCOUNTS, parameters)).all())
        wanted = {"account_ids": _uuids(account_ids)}
        return list((await session.scalars(SOME_LINK_ACCOUNTS, parameters | wanted)).all())

    async def accounts_of_links(
        self,
        session: AsyncSession,
        app_id: uuid.UUID,
        link_ids: Sequence[uuid.UUID],
        account_ids: Collection[uuid.UUID] | None = None,
    ) -> list[Account]:
        """Every account of the links (or those of them `account_ids` names), oldest first, in one query."""
        if not link_ids or account_ids is not None and not account_ids:
            return []
        statement = (
            select(Account)
            .where(Account.app_id == app_id, Account.link_id.in_(list(link_ids)))
            .order_by(Account.created_at, Account.id)
        )
        if account_ids is not None:
            statement = statement.where(Account.id.in_(list(account_ids)))
        return list((await session.execute(statement)).scalars())


def _uuids(values: Sequence[str]) -> list[uuid.UUID]:
    parsed = []
    for value in values:
        try:
            parsed.append(uuid.UUID(value))
        except ValueError:
            continue  # an id that cannot exist matches nothing
    return parsed


product_reader = ProductReader()


class ProductDetailReader:
    """Numbers, owners and investments of one link's accounts."""

    async def numbers(
        self, session: AsyncSession, app_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
    ) -> list[AccountNumber]:
        statement = select(AccountNumber).where(
            AccountNumber.app_id == app_id, AccountNumber.account_id.in_(account_ids)
        )
        return list((await session.execute(statement.order_by(AccountNumber.kind))).scalars())

    async def owners(
        self, session: AsyncSession, app_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
    ) -> list[AccountOwner]:
        statement = select(AccountOwner).where(
            AccountOwner.app_id == app_id, AccountOwner.account_id.in_(account_ids)
        )
        return list((await session.execute(statement.order_by(AccountOwner.created_at))).scalars())

    async def holdings(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
    ) -> list[Holding]:
        statement = select(Holding).where(
            Holding.app_id == app_id, Holding.link_id == link_id, Holding.account_id.in_(account_ids)
        )
        return list((await session.execute(statement.order_by(Holding.created_at))).scalars())

    async def investment_transactions(
        self, session: AsyncSession, app_id: uuid.UUID, link_id: uuid.UUID, account_ids: Sequence[uuid.UUID],
        *, start: dt.date, end: dt.date, offset: int, limit: int,
    ) -> tuple[list[InvestmentTransaction], int]:  # fmt: skip
        statement = select(InvestmentTransaction).where(
            InvestmentTransaction.app_id == app_id, InvestmentTransaction.link_id == link_id,
            InvestmentTransaction.account_id.in_(account_ids),
            InvestmentTransaction.date >= start, InvestmentTransaction.date <= end,
        )  # fmt: skip
        total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
        ordered = (
            statement.order_by(InvestmentTransaction.date.desc(), InvestmentTransaction.id)
            .offset(offset)
            .limit(limit)
        )
        return list((await session.execute(ordered)).scalars()), int(total)

    async def securities(
        self, session: AsyncSession, app_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> list[Security]:
        statement = select(Security).where(Security.app_id == app_id, Security.id.in_(ids))
        return list((await session.execute(statement.order_by(Security.name))).scalars())


product_details = ProductDetailReader()
