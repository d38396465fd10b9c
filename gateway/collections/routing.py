"""The router every collection with a path prefix is built on."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import Match
from starlette.types import Scope


class CollectionRouter(APIRouter):
    """An `APIRouter` whose routes all live under its `prefix`: a request for another path is turned away
    at once instead of being matched against each route (FastAPI tries the collections in turn, so a
    Plaid request was matched against every MoneyKit route first)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if self.prefix and not (path == self.prefix or path.startswith(self.prefix + "/")):
            return Match.NONE, {}
        return super().matches(scope)
