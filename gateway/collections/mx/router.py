"""The `/v1/mx` collection: MX Platform API v20111101 over the unified schema."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.collections.mx import (
    accounts,
    details,
    holdings,
    institutions,
    members,
    transactions,
    users,
    widgets,
)

PREFIX = "/v1/mx"

router = APIRouter(prefix=PREFIX)
ROUTERS = (users, members, accounts, transactions, holdings, details, institutions, widgets)
for part in (module.router for module in ROUTERS):
    router.include_router(part)
