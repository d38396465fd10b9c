"""The `/v1/plaid` collection: Plaid API 2020-09-14 over the unified schema, for the official clients."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.collections.plaid import (
    accounts,
    institutions,
    investments,
    items,
    liabilities,
    link_tokens,
    recurring,
    sandbox,
    transactions,
    webhook_keys,
)

PREFIX = "/v1/plaid"

router = APIRouter(prefix=PREFIX)
PARTS = (link_tokens, items, accounts, transactions, institutions, investments, sandbox, webhook_keys,
         liabilities, recurring)  # fmt: skip
for part in PARTS:
    router.include_router(part.router)
