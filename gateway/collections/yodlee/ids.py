"""Yodlee's int64 ids for our UUID rows, kept in `yodlee_ids`: assigned on first sight, stable after.

Every lookup names the app, so another tenant's number answers exactly like one never issued.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.collections.yodlee.errors import YodleeError, invalid_value
from gateway.db import conflict_insert
from gateway.models.yodlee import YodleeId

INT64_MAX = 2**63 - 1
MAX_IDS = 100
HOLDING_NAMESPACE = uuid.UUID("6f1b7c1e-3f0a-4d2e-9a57-0b7f6c2d9e11")


class IdKind(StrEnum):
    user = "user"
    provider_account = "provider_account"
    account = "account"
    transaction = "transaction"
    holding = "holding"
    consent = "consent"  # a provider account's consent: one per link, its own number


def holding_key(account_id: uuid.UUID, security_id: uuid.UUID) -> uuid.UUID:
    """Holdings are rewritten on every refresh; their id follows the (account, security) they describe."""
    return uuid.uuid5(HOLDING_NAMESPACE, f"{account_id}:{security_id}")


async def assign(
    session: AsyncSession, app_id: uuid.UUID, kind: IdKind, entity_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The ids of `entity_ids`, issuing new ones for rows not seen before (safe under concurrency)."""
    wanted = list(dict.fromkeys(entity_ids))
    if not wanted:
        return {}
    found = await _known(session, app_id, kind, wanted)
    missing = [entity for entity in wanted if entity not in found]
    if missing:
        rows = [{"app_id": app_id, "kind": kind.value, "entity_id": entity} for entity in missing]
        statement = (
            (await conflict_insert(session, YodleeId))
            .values(rows)
            .on_conflict_do_nothing(index_elements=["app_id", "kind", "entity_id"])
        )
        await session.execute(statement, execution_options={"synchronize_session": False})
        found |= await _known(session, app_id, kind, missing)
    return found


async def assign_one(session: AsyncSession, app_id: uuid.UUID, kind: IdKind, entity_id: uuid.UUID) -> int:
    return (await assign(session, app_id, kind, [entity_id]))[entity_id]


async def _known(
    session: AsyncSession, app_id: uuid.UUID, kind: IdKind, entity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    found: dict[uuid.UUID, int] = {}
    for start in range(0, len(entity_ids), 500):
        statement = select(YodleeId.entity_id, YodleeId.id).where(
            YodleeId.app_id == app_id, YodleeId.kind == kind.value,
            YodleeId.entity_id.in_(entity_ids[start : start + 500]),
        )  # fmt: skip
        found.update({entity: number for entity, number in (await session.execute(statement)).all()})
    return found


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


def is_ascii_number(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes '٣', '３' and '²' (the last one `int` refuses)."""
    return text.isascii() and text.isdigit()


def parse_id(value: str, name: str) -> int:
    """One int64 id from a path or query; anything else is Yodlee's Y800 on that parameter."""
    text = value.strip()
    if not is_ascii_number(text) or len(text) > 19 or not 0 < int(text) <= INT64_MAX:
        raise invalid_value(name)
    return int(text)


def parse_ids(value: str | None, name: str) -> list[int] | None:
    """A comma-separated list of at most 100 ids (Y824 beyond that), or None when absent."""
    if value is None:
        return None
    parts = [part for part in value.split(",")]
    if len(parts) > MAX_IDS:
        raise YodleeError("Y824", f"The maximum number of {name} permitted is {MAX_IDS}")
    return list(dict.fromkeys(parse_id(part, name) for part in parts))
