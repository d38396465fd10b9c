"""Yodlee's int64 ids for our UUID rows, kept in `yodlee_ids`: issued when a row is created, in the
same transaction as the row, and never changed.

The write paths (end users, links, accounts, holdings) issue them; the Yodlee collection and its webhook
bodies only read them, so a read never writes. Every lookup names the app, so another tenant's number
answers exactly like one never issued. Transactions, thousands to a refresh, carry theirs in their own
`number` column, which the database fills (see `gateway.models.transaction`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import conflict_insert
from gateway.models.yodlee import YodleeId

HOLDING_NAMESPACE = uuid.UUID("6f1b7c1e-3f0a-4d2e-9a57-0b7f6c2d9e11")
IN_CHUNK = 500


class IdKind(StrEnum):
    user = "user"
    provider_account = "provider_account"
    account = "account"
    holding = "holding"
    consent = "consent"  # a provider account's consent: one per link, its own number


LINK_KINDS = (IdKind.provider_account, IdKind.consent)


class MissingIntegerId(LookupError):
    """A stored row without its number: a write path that did not issue one (a bug, never input)."""


def holding_key(account_id: uuid.UUID, security_id: uuid.UUID) -> uuid.UUID:
    """Holdings are rewritten on every refresh; their id follows the (account, security) they describe."""
    return uuid.uuid5(HOLDING_NAMESPACE, f"{account_id}:{security_id}")


async def issue(
    session: AsyncSession, app_id: uuid.UUID, kind: IdKind, entity_ids: Iterable[uuid.UUID]
) -> None:
    """Give each of `entity_ids` its number unless it has one (holding keys recur across refreshes)."""
    rows = [
        {"app_id": app_id, "kind": kind.value, "entity_id": entity} for entity in dict.fromkeys(entity_ids)
    ]
    if not rows:
        return
    statement = (
        (await conflict_insert(session, YodleeId))
        .values(rows)
        .on_conflict_do_nothing(index_elements=["app_id", "kind", "entity_id"])
    )
    await session.execute(statement, execution_options={"synchronize_session": False})


async def numbers_of(
    session: AsyncSession, app_id: uuid.UUID, kind: IdKind, entity_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The numbers of `entity_ids`; every stored row has one (`MissingIntegerId` otherwise)."""
    wanted = list(dict.fromkeys(entity_ids))
    found: dict[uuid.UUID, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        statement = select(YodleeId.entity_id, YodleeId.id).where(
            YodleeId.app_id == app_id, YodleeId.kind == kind.value,
            YodleeId.entity_id.in_(wanted[start : start + IN_CHUNK]),
        )  # fmt: skip
        found.update({entity: number for entity, number in (await session.execute(statement)).all()})
    if missing := [entity for entity in wanted if entity not in found]:
        raise MissingIntegerId(f"no {kind.value} number for {missing[:3]}")
    return found


async def number_of(session: AsyncSession, app_id: uuid.UUID, kind: IdKind, entity_id: uuid.UUID) -> int:
    return (await numbers_of(session, app_id, kind, [entity_id]))[entity_id]


async def resolve(
    session: AsyncSession, app_id: uuid.UUID, kind: IdKind, numbers: Sequence[int]
) -> dict[int, uuid.UUID]:
    """Our rows behind `numbers`; numbers this app was never given are simply absent."""
    if not numbers:
        return {}
    statement = select(YodleeId.id, YodleeId.entity_id).where(
        YodleeId.app_id == app_id, YodleeId.kind == kind.value, YodleeId.id.in_(list(numbers))
    )
    return {number: entity for number, entity in (await session.execute(statement)).all()}
