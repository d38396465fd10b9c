"""The `/v2/yodlee` collection: Yodlee Core API 1.1 over the unified schema."""

from __future__ import annotations

from gateway.collections.routing import CollectionRouter
from gateway.collections.yodlee import (
    accounts,
    auth,
    balances,
    data_extracts,
    holdings,
    notifications,
    provider_accounts,
    providers,
    transactions,
    users,
)
from gateway.errors import NotFound

PREFIX = "/v2/yodlee"

router = CollectionRouter(prefix=PREFIX)
# Paths of Yodlee's description that we do not serve but that one of our `{id}` routes would take for
# an id: answered 404 (Y807) like every other path we do not serve, before the `{id}` routes see them.
# Literal paths we do serve (/providers/count, /accounts/latestBalances, ...) are declared before
# their module's `{id}` route instead.
UNSERVED_PATHS = ("/providerAccounts/profile",)


async def _not_served() -> None:
    raise NotFound()


for path in UNSERVED_PATHS:
    router.add_api_route(path, _not_served, methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False)
ROUTERS = (
    auth,
    users,
    providers,
    provider_accounts,
    balances,  # /accounts/latestBalances and /accounts/historicalBalances before /accounts/{accountId}
    accounts,
    transactions,
    holdings,
    notifications,
    data_extracts,
)
for part in (module.router for module in ROUTERS):
    router.include_router(part)
