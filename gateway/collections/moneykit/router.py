"""The `/v1/moneykit` collection: MoneyKit API 2023-02-18 over the unified schema."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.collections.moneykit import (
    auth,
    details,
    imports,
    institutions,
    links,
    products,
    users,
    webhooks,
)

PREFIX = "/v1/moneykit"

router = APIRouter(prefix=PREFIX)
# details before products: /accounts/numbers must match before /accounts/{account_id}.
# imports before links: /links/import must not be read as /links/{link_id}.
ROUTERS = (auth, institutions, imports, links, details, products, users, webhooks)
for part in (module.router for module in ROUTERS):
    router.include_router(part)
