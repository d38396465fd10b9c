"""The `/v1/mx` collection: MX Platform API v20111101 over the unified schema."""

from __future__ import annotations

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
from gateway.collections.routing import CollectionRouter

PREFIX = "/v1/mx"

router = CollectionRouter(prefix=PREFIX)
ROUTERS = (users, members, accounts, transactions, holdings, details, institutions, widgets)
for part in (module.router for module in ROUTERS):
    router.include_router(part)
