"""The page-only baseline for `bench/transaction_pages.py`: minimal FastAPI + asyncpg, no count.

`GET /pages/{format}` reads the same 100 rows the gateway's page reads (one link's live transactions,
newest first, by the same index) and renders them with the same renderers (`formats.<format>.render`),
with the account context each renderer needs looked up once at startup. No authentication, no link
resolution, no total: what is left of the gateway's cost, compared with this, is all of its own.

Served by uvicorn beside the gateway; reads `BENCH_DATABASE_URL`, `BENCH_APP_ID`, `BENCH_LINK_ID`.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI
from fastapi.responses import Response

from formats.moneykit import render as moneykit
from formats.mx import render as mx
from formats.plaid import render as plaid
from formats.yodlee import render as yodlee
from gateway.transactions.records import ListedTransaction, TransactionRecord

RECORD = ", ".join(TransactionRecord._fields)
LISTED = ", ".join(ListedTransaction._fields)
WINDOW = (
    "FROM transactions WHERE app_id = $1 AND link_id = $2 AND change_kind <> 'removed'"
    " AND date >= $3 AND date <= $4 ORDER BY date DESC, created_seq DESC LIMIT 100"
)
PLACE = """
SELECT a.id AS account_id, a.provider_account_id, a.type, a.subtype, u.guid, u.external_id,
       (SELECT y.id FROM yodlee_ids y WHERE y.app_id = a.app_id AND y.kind = 'account'
        AND y.entity_id = a.id) AS number
FROM accounts a JOIN links l ON l.id = a.link_id JOIN end_users u ON u.id = l.end_user_id
WHERE a.app_id = $1 AND a.link_id = $2
"""

Renderer = Callable[[Any], dict[str, Any]]


def _renderers(link_id: uuid.UUID, accounts: list[asyncpg.Record]) -> dict[str, tuple[str, Renderer]]:
    places = {
        a["account_id"]: mx.AccountPlace(mx.guid("account", a["account_id"]), a["provider_account_id"],
                                         mx.guid("member", link_id), a["guid"], a["external_id"])
        for a in accounts
    }  # fmt: skip
    numbers = {a["account_id"]: (a["number"], yodlee.container(a["type"], a["subtype"])) for a in accounts}

    def yodlee_transaction(row: ListedTransaction) -> dict[str, Any]:
        number, container = numbers[row.account_id]
        return yodlee.transaction(row, transaction_id=row.number, account_id=number, container_name=container)

    return {
        "plaid": (RECORD, lambda row: plaid.transaction(TransactionRecord._make(row))),
        "moneykit": (RECORD, lambda row: moneykit.transaction(TransactionRecord._make(row))),
        "mx": (RECORD, lambda row: mx.transaction(TransactionRecord._make(row), places[row["account_id"]])),
        "yodlee": (LISTED, lambda row: yodlee_transaction(ListedTransaction._make(row))),
    }


def create_baseline() -> FastAPI:
    state: dict[str, Any] = {}
    app_id, link_id = uuid.UUID(os.environ["BENCH_APP_ID"]), uuid.UUID(os.environ["BENCH_LINK_ID"])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], min_size=2, max_size=10)
        async with state["pool"].acquire() as connection:
            await connection.set_type_codec(
                "jsonb", encoder=orjson.dumps, decoder=orjson.loads, schema="pg_catalog"
            )
            state["renderers"] = _renderers(link_id, await connection.fetch(PLACE, app_id, link_id))
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/pages/{kind}")
    async def page(kind: str) -> Response:
        columns, render = state["renderers"][kind]
        end = dt.date.today() + dt.timedelta(days=5)
        start = end - dt.timedelta(days=120)
        async with state["pool"].acquire() as connection:
            rows = await connection.fetch(f"SELECT {columns} {WINDOW}", app_id, link_id, start, end)
        body = {"transactions": [render(row) for row in rows]}
        return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), media_type="application/json")

    return app
