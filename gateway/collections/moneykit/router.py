"""The `/v1/moneykit` collection: MoneyKit API 2023-02-18 over the unified schema."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.collections.moneykit import auth, institutions, links, products

PREFIX = "/v1/moneykit"

router = APIRouter(prefix=PREFIX)
for part in (auth.router, institutions.router, links.router, products.router):
    router.include_router(part)
