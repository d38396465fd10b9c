"""`CollectionRouter`: routes under its prefix still answer, and a request for any other path (including
one that only starts with the prefix's letters) is turned away without trying its routes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from gateway.collections.routing import CollectionRouter


def app_with(*routers: APIRouter) -> FastAPI:
    app = FastAPI()
    for router in routers:
        app.include_router(router)
    return app


def get(app: FastAPI, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(call())


def collection(prefix: str, *, kind: type[APIRouter] = CollectionRouter) -> APIRouter:
    router = kind(prefix=prefix)

    @router.get("/things/{thing_id}")
    def thing(thing_id: str) -> dict[str, str]:
        return {"from": prefix, "id": thing_id}

    return router


def test_requests_reach_their_collection_only() -> None:
    app = app_with(collection("/v1/a"), collection("/v1/ab"))
    assert get(app, "/v1/a/things/1").json() == {"from": "/v1/a", "id": "1"}
    assert get(app, "/v1/ab/things/2").json() == {"from": "/v1/ab", "id": "2"}
    assert get(app, "/v1/abc/things/3").status_code == 404
    assert get(app, "/v1/a").status_code == 404


def tried_paths(kind: type[APIRouter]) -> list[str]:
    """The paths the first collection's route was tried on while a request went to the second."""
    first, second = collection("/v1/a", kind=kind), collection("/v1/b")
    route = first.routes[0]
    assert isinstance(route, APIRoute)
    tried: list[str] = []
    matches = route.matches

    def recording(scope: Any) -> Any:
        tried.append(scope["path"])
        return matches(scope)

    route.matches = recording  # type: ignore[method-assign]
    assert get(app_with(first, second), "/v1/b/things/1").status_code == 200
    return tried


def test_a_request_for_another_collection_is_not_matched_route_by_route() -> None:
    assert tried_paths(APIRouter) == ["/v1/b/things/1"]  # what a plain router does
    assert tried_paths(CollectionRouter) == []
