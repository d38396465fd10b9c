"""The `/v2/yodlee` collection: Yodlee Core API 1.1 over the unified schema."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.collections.yodlee import (
    accounts,
    auth,
    data_extracts,
    holdings,
    notifications,
    provider_accounts,
    providers,
    transactions,
    users,
)

PREFIX = "/v2/yodlee"

router = APIRouter(prefix=PREFIX)
# transactions' /transactions/count is a fixed path; no route of ours takes a parameter there.
ROUTERS = (
    auth,
    users,
    providers,
    provider_accounts,
    accounts,
    transactions,
    holdings,
    notifications,
    data_extracts,
)
for part in (module.router for module in ROUTERS):
    router.include_router(part)
