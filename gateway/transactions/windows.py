"""The filter a page of transactions and its total share: one app's links, a date window, maybe some
accounts; built once per shape and dialect form (`gateway.db.DialectRead`).

One link is `link_id = $n`, so Postgres walks that link's (date, change_seq) index backwards and stops
after the page; several links are `= ANY($n)` on Postgres (one statement whatever their number) and an
expanding `IN` elsewhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Uuid, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from gateway.db import DialectRead


@dataclass(frozen=True)
class WindowShape:
    one_link: bool
    some_accounts: bool


SHAPES = tuple(WindowShape(one, some) for one in (True, False) for some in (False, True))


@dataclass(frozen=True)
class WindowColumns:
    app_id: InstrumentedAttribute[uuid.UUID]
    link_id: InstrumentedAttribute[uuid.UUID]
    account_id: InstrumentedAttribute[uuid.UUID]
    date: InstrumentedAttribute[dt.date]


def _among(column: InstrumentedAttribute[uuid.UUID], name: str, *, postgres: bool) -> ColumnElement[bool]:
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(Uuid())))
    return column.in_(bindparam(name, expanding=True))


def window_conditions(
    columns: WindowColumns, shape: WindowShape, *, postgres: bool
) -> list[ColumnElement[bool]]:
    conditions = [
        columns.app_id == bindparam("app_id"),
        columns.link_id == bindparam("link_id")
        if shape.one_link
        else _among(columns.link_id, "link_ids", postgres=postgres),
        columns.date >= bindparam("start"),
        columns.date <= bindparam("end"),
    ]
    if shape.some_accounts:
        conditions.append(_among(columns.account_id, "account_ids", postgres=postgres))
    return conditions


def window_parameters(
    app_id: uuid.UUID,
    link_ids: Sequence[uuid.UUID],
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[uuid.UUID] | None,
) -> tuple[WindowShape, dict[str, Any]]:
    """The shape of this window and the parameters its statements take (`link_ids` is not empty)."""
    shape = WindowShape(one_link=len(link_ids) == 1, some_accounts=account_ids is not None)
    parameters: dict[str, Any] = {"app_id": app_id, "start": start, "end": end}
    if shape.one_link:
        parameters["link_id"] = link_ids[0]
    else:
        parameters["link_ids"] = list(link_ids)
    if account_ids is not None:
        parameters["account_ids"] = list(account_ids)
    return shape, parameters


def reads_by_shape(
    columns: WindowColumns, build: Callable[[list[ColumnElement[bool]]], Select[Any]]
) -> dict[WindowShape, DialectRead]:
    """`build` (conditions → statement) for every shape, in both dialect forms."""
    return {
        shape: DialectRead.of(
            build(window_conditions(columns, shape, postgres=False)),
            build(window_conditions(columns, shape, postgres=True)),
        )
        for shape in SHAPES
    }
