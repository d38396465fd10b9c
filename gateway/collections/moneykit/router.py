"""The `/v1/moneykit` collection: MoneyKit API 2023-02-18 over the unified schema."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.collections.moneykit import auth, details, institutions, links, products, users

PREFIX = "/v1/moneykit"

router = APIRouter(prefix=PREFIX)
# details before products: /accounts/numbers must match before /accounts/{account_id}.
for part in (auth.router, institutions.router, links.router, details.router, products.router, users.router):
    router.include_router(part)
