"""Institutions found by searching an upstream whose directory is too large to list (Plaid).

When someone searches the directory by name (Connect, or any collection's institution search), each
provider the app offers that `SearchesInstitutions` is asked too, and what it finds joins the directory
(merged with other providers' entries by web address, see `catalog.sync_institutions`). One process
asks an upstream about one query at most once per `ttl_s`; a failing upstream only means fewer results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.institutions.catalog import sync_institutions
from providers.base import InstitutionInfo, ProviderError, SearchesInstitutions
from providers.registry import ProviderRegistry

logger = logging.getLogger(__name__)
MIN_QUERY_CHARS = 2


class InstitutionDiscovery:
    def __init__(self, ttl_s: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._asked: dict[tuple[str, str], float] = {}  # (provider, folded query) → when

    async def discover(
        self, session: AsyncSession, providers: ProviderRegistry, offered: Collection[str], query: str | None
    ) -> int:
        """Ask the searchable providers among `offered` about `query`; returns how many routes joined."""
        folded = " ".join((query or "").split()).casefold()
        if len(folded) < MIN_QUERY_CHARS:
            return 0
        found: dict[str, Sequence[InstitutionInfo]] = {}
        for name in sorted(offered):
            adapter = providers.get(name)
            if isinstance(adapter, SearchesInstitutions) and self._due(name, folded):
                found[name] = await self._search(adapter, name, folded)
        return await sync_institutions(session, providers, discovered=found) if _any(found) else 0

    def _due(self, name: str, folded: str) -> bool:
        asked = self._asked.get((name, folded))
        return asked is None or self._clock() - asked >= self._ttl_s

    async def _search(
        self, adapter: SearchesInstitutions, name: str, folded: str
    ) -> Sequence[InstitutionInfo]:
        try:
            found = await adapter.search_institutions(folded)
        except ProviderError as exc:
            logger.warning("searching %s's institutions failed: %s", name, type(exc).__name__)
            return ()
        self._asked[(name, folded)] = self._clock()
        return found


def _any(found: Mapping[str, Sequence[InstitutionInfo]]) -> bool:
    return any(found.values())
