"""The baseline for the transactions-page benchmarks: minimal FastAPI + asyncpg, the same two queries.

`GET /page` is MoneyKit's page; `POST /plaid/transactions/get` Plaid's (its date window from the body,
a Plaid-shaped transaction per row).

Served by uvicorn beside the gateway; reads `BENCH_DATABASE_URL`, `BENCH_APP_ID`, `BENCH_LINK_ID`.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

PAGE = """
SELECT id, account_id, amount, direction, currency, date, datetime, description, original_description,
       pending, categories, merchant_name, posted_seq
FROM transactions
WHERE app_id = $1 AND link_id = $2 AND change_kind <> 'removed' AND date >= $3 AND date <= $4
ORDER BY date DESC, change_seq DESC LIMIT $5
"""
COUNT = """
SELECT count(*) FROM transactions
WHERE app_id = $1 AND link_id = $2 AND change_kind <> 'removed' AND date >= $3 AND date <= $4
"""


def create_baseline() -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], min_size=2, max_size=10)
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)
    app_id, link_id = uuid.UUID(os.environ["BENCH_APP_ID"]), uuid.UUID(os.environ["BENCH_LINK_ID"])

    @app.get("/page")
    async def page() -> Response:
        end = dt.date.today()
        start = end - dt.timedelta(days=90)
        async with state["pool"].acquire() as connection:
            rows = await connection.fetch(PAGE, app_id, link_id, start, end, 100)
            total = await connection.fetchval(COUNT, app_id, link_id, start, end)
        transactions = [
            {
                "transaction_id": str(r["id"]),
                "account_id": str(r["account_id"]),
                "amount": str(r["amount"]),
                "type": r["direction"],
                "currency": r["currency"],
                "date": r["date"].isoformat(),
                "description": r["description"],
                "pending": r["pending"],
            }
            for r in rows
        ]
        body = {"total": total, "transactions": transactions}
        return Response(orjson.dumps(body), media_type="application/json")

    @app.post("/plaid/transactions/get")
    async def plaid_page(request: Request) -> Response:
        window = orjson.loads(await request.body())
        start, end = dt.date.fromisoformat(window["start_date"]), dt.date.fromisoformat(window["end_date"])
        async with state["pool"].acquire() as connection:
            rows = await connection.fetch(PAGE, app_id, link_id, start, end, 100)
            total = await connection.fetchval(COUNT, app_id, link_id, start, end)
        transactions = [
            {
                "transaction_id": str(r["id"]),
                "account_id": str(r["account_id"]),
                "amount": float(r["amount"] if r["direction"] == "debit" else -r["amount"]),
                "iso_currency_code": r["currency"],
                "date": r["date"].isoformat(),
                "name": r["description"],
                "merchant_name": r["merchant_name"],
                "pending": r["pending"],
                "pending_transaction_id": None,
                "category": r["categories"],
            }
            for r in rows
        ]
        body = {"transactions": transactions, "total_transactions": total, "request_id": "baseline"}
        return Response(orjson.dumps(body), media_type="application/json")

    return app
