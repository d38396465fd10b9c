"""The `/v1/plaid` collection: Plaid API 2020-09-14 over the unified schema, for the official clients."""

from __future__ import annotations

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
from gateway.collections.routing import CollectionRouter

PREFIX = "/v1/plaid"

router = CollectionRouter(prefix=PREFIX)
PARTS = (link_tokens, items, accounts, transactions, institutions, investments, sandbox, webhook_keys,
         liabilities, recurring)  # fmt: skip
for part in PARTS:
    router.include_router(part.router)
