"""The `/v1/moneykit` collection: MoneyKit API 2023-02-18 over the unified schema."""

from __future__ import annotations

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
from gateway.collections.routing import CollectionRouter

PREFIX = "/v1/moneykit"

router = CollectionRouter(prefix=PREFIX)
# details before products: /accounts/numbers must match before /accounts/{account_id}.
# imports before links: /links/import must not be read as /links/{link_id}.
ROUTERS = (auth, institutions, imports, links, details, products, users, webhooks)
for part in (module.router for module in ROUTERS):
    router.include_router(part)
