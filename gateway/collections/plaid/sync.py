"""Plaid's view of the change log: which changes a reader at a cursor sees as added, modified or removed.

A pull is a chain of pages over the changes after the position P its first cursor names, up to the
link's last change when it began (a change in between breaks the chain: the reader starts it again).
Having finished its last pull at P, the reader has every row as it was at P. A row created after P is
new to it, wherever the chain reaches it; a row that posted after P was pending when it last looked, so
Plaid reports the pending transaction removed and the posted one added; a removed row it never saw is not
reported at all. Deciding by the page's own position instead would call a row created after P but
changed again before the pull reached it "modified": a row the reader never had.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from formats.plaid import render
from gateway.collections.plaid.errors import InvalidField
from gateway.db import Database
from gateway.transactions.records import TransactionChange, TransactionRecord
from gateway.transactions.repository import transaction_repository

CURSOR_PREFIX = "plaid1:"


class SyncRead(NamedTuple):
    """One page of a pull: the link's changes after `position` up to `chain_end` (the link's last change
    when the pull began), `limit` at most, rendered with or without original descriptions. While the
    link's last change is still `chain_end`, the page it names cannot change (what read-ahead relies on)."""

    app_id: uuid.UUID
    link_id: uuid.UUID
    position: int
    chain_start: int  # where the pull began: what the reader had before it
    chain_end: int
    limit: int
    account_id: uuid.UUID | None
    original: bool


@dataclass
class ClassifiedChanges:
    added: list[TransactionRecord] = field(default_factory=list)
    modified: list[TransactionRecord] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SyncPage:
    """A page as the body carries it: the transaction lists already JSON (`orjson.Fragment`s)."""

    added: orjson.Fragment
    modified: orjson.Fragment
    removed: list[dict[str, str]]
    next_cursor: str
    has_more: bool
    last: int  # the position after this page

    @classmethod
    def empty(cls, next_cursor: str, position: int = 0) -> SyncPage:
        return cls(NOTHING, NOTHING, [], next_cursor, has_more=False, last=position)


NOTHING = orjson.Fragment(b"[]")


async def read_sync_page(session: AsyncSession, read: SyncRead) -> SyncPage:
    """The page `read` names, rendered."""
    changes = await transaction_repository.changes_since(
        session, read.app_id, read.link_id, read.position, limit=read.limit + 1, up_to=read.chain_end,
        account_id=read.account_id,
    )  # fmt: skip
    has_more = len(changes) > read.limit
    changes = changes[: read.limit]
    last = changes[-1].change_seq if changes else read.position
    classified = classify_changes(changes, read.chain_start)
    return SyncPage(
        added=_rendered(classified.added, original=read.original),
        modified=_rendered(classified.modified, original=read.original),
        removed=classified.removed,
        next_cursor=encode_cursor(last, (read.chain_start, read.chain_end) if has_more else None),
        has_more=has_more,
        last=last,
    )


async def read_sync_page_alone(database: Database, read: SyncRead) -> SyncPage:
    """`read_sync_page` in a session of its own (a page read ahead outlives the request that asked)."""
    async with database.read_only() as session:
        return await read_sync_page(session, read)


def _rendered(rows: list[TransactionRecord], *, original: bool) -> orjson.Fragment:
    if not rows:
        return NOTHING
    rendered = [render.transaction(row, include_original_description=original) for row in rows]
    return orjson.Fragment(orjson.dumps(rendered, option=orjson.OPT_UTC_Z))


def classify_changes(changes: Sequence[TransactionChange], known: int) -> ClassifiedChanges:
    """`changes` of a pull that began at position `known`, oldest first."""
    page = ClassifiedChanges()
    for change in changes:
        row = change.record
        posted_since = row.posted_seq is not None and row.posted_seq > known
        if change.change_kind == "removed":
            if change.created_seq <= known:
                page.removed.append(render.removed(row, seen_pending=row.pending or posted_since))
        elif change.created_seq > known:
            page.added.append(row)
        elif posted_since:
            page.removed.append(render.removed(row, seen_pending=True))
            page.added.append(row)
        else:
            page.modified.append(row)
    return page


def encode_cursor(position: int, chain: tuple[int, int] | None) -> str:
    """A cursor at `position`; mid-pull, with the pull's (start, end) `chain`."""
    text = f"{CURSOR_PREFIX}{position}" + (f":{chain[1]}:{chain[0]}" if chain is not None else "")
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class Cursor(NamedTuple):
    position: int
    chain: tuple[int, int] | None  # (start, end) of the pull it is in the middle of


def decode_cursor(cursor: str | None) -> Cursor:
    """A cursor this gateway gave out (none: the start of all history). Cursors given out mid-pull
    before they carried the pull's start name its end only; the start they stand for is their own
    position, as it was read then."""
    if not cursor:
        return Cursor(0, None)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(CURSOR_PREFIX):
            raise ValueError(text)
        parts = [int(part) for part in text.removeprefix(CURSOR_PREFIX).split(":")]
        if len(parts) > 3 or any(part < 0 for part in parts):
            raise ValueError(text)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidField("cursor: not a cursor this gateway gave out") from exc
    if len(parts) == 1:
        return Cursor(parts[0], None)
    position, end, start = parts[0], parts[1], parts[2] if len(parts) == 3 else parts[0]
    if not start <= position <= end:
        raise InvalidField("cursor: not a cursor this gateway gave out")
    return Cursor(position, (start, end))
