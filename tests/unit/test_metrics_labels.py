"""Metric labels stay bounded: route templates, never paths; fixed names for everything else."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY

from gateway.app import create_app
from gateway.collections.routing import CollectionRouter
from gateway.metrics.http import HttpMetrics
from gateway.metrics.labels import OTHER, UNMATCHED, BoundedLabel, collection_of, method_label
from gateway.observability.requests import RequestOutcomeMiddleware
from gateway.settings import Settings


def http_label_values() -> set[str]:
    """Every label value of every HTTP request sample recorded in this process."""
    values: set[str] = set()
    for family in REGISTRY.collect():
        if family.name.startswith("linkgate_http_request"):
            for sample in family.samples:
                values |= set(sample.labels.values())
    return values


def http_samples() -> list[dict[str, str]]:
    return [
        sample.labels
        for family in REGISTRY.collect()
        if family.name == "linkgate_http_requests"
        for sample in family.samples
    ]


def requests_counted(**labels: str) -> float:
    return REGISTRY.get_sample_value("linkgate_http_requests_total", labels) or 0.0


@pytest.mark.parametrize(
    ("path", "collection"),
    [
        ("/v1/plaid/accounts/get", "plaid"),
        ("/v1/mx/users/USR-1/members", "mx"),
        ("/v2/yodlee/accounts", "yodlee"),
        ("/v1/moneykit/links/abc", "moneykit"),
        ("/oauth/token", "oauth"),
        ("/connect/api/session", "connect"),
        ("/healthz", "health"),
        ("/metrics", "metrics"),
        ("/v1/plaidish", OTHER),
        ("/wp-admin/setup.php", OTHER),
        ("/", OTHER),
    ],
)
def test_collections_come_from_a_fixed_table(path: str, collection: str) -> None:
    assert collection_of(path) == collection


def test_methods_outside_the_standard_ones_are_other() -> None:
    assert method_label("GET") == "GET"
    assert method_label("PROPFIND") == OTHER
    assert method_label("get") == OTHER


def test_bounded_labels_refuse_ids_and_stop_at_their_limit() -> None:
    label = BoundedLabel(2)
    assert label("/accounts/get") == "/accounts/get"
    assert label("/items/" + uuid.uuid4().hex) == OTHER
    assert label("/users/12345678") == OTHER
    assert label("https://bridge.example/claim?token=x") == OTHER
    assert label("/transactions/sync") == "/transactions/sync"
    assert label("/one/too/many") == OTHER
    assert label("/accounts/get") == "/accounts/get"  # admitted ones stay admitted


async def test_the_real_routes_are_labelled_by_template_and_ids_never_appear() -> None:
    """The gateway's own routes (no lifespan: handlers fail, which is fine, the route still matched)."""
    app = create_app(Settings(database_url="sqlite:///:memory:", metrics_port=None))
    user, member = f"USR-{uuid.uuid4().hex}", f"MBR-{uuid.uuid4().hex}"
    unknown = f"/v1/mx/nothing/{uuid.uuid4().hex}"
    before = requests_counted(collection="mx", route=UNMATCHED, method="GET", status="404")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        await client.get(f"/v1/mx/users/{user}/members/{member}")
        await client.get(unknown)
        await client.request("PROPFIND", f"/v1/moneykit/links/{member}")

    template = "/v1/mx/users/{user_guid}/members/{member_guid}"
    assert (template, "mx") in {(v.get("route"), v.get("collection")) for v in http_samples()}
    assert requests_counted(collection="mx", route=UNMATCHED, method="GET", status="404") == before + 1
    values = http_label_values()
    assert not any(user in v or member in v or unknown in v for v in values)
    assert "PROPFIND" not in values


async def test_a_collection_prefix_is_kept_only_when_it_is_a_known_one() -> None:
    """Routes included under a collection know only their own part of the path; the part before it
    is taken from the request only when it is a known collection prefix, never an id."""
    items, things = APIRouter(), APIRouter()

    @items.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"item": item_id}

    @things.get("/things/{thing_id}")
    async def thing(thing_id: str, tenant: str) -> dict[str, str]:
        return {"thing": thing_id}

    plaid, by_tenant = CollectionRouter(prefix="/v1/plaid"), APIRouter(prefix="/v9/{tenant}")
    plaid.include_router(items)
    by_tenant.include_router(things)
    app = FastAPI()
    app.include_router(plaid)
    app.include_router(by_tenant)
    app.add_middleware(RequestOutcomeMiddleware, observers=[HttpMetrics()])
    before = requests_counted(collection=OTHER, route=UNMATCHED, method="GET", status="200")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/v1/plaid/items/item-7")).status_code == 200
        assert (await client.get("/v9/tenant-42/things/thing-8")).status_code == 200

    assert requests_counted(collection="plaid", route="/v1/plaid/items/{item_id}", method="GET", status="200")
    assert requests_counted(collection=OTHER, route=UNMATCHED, method="GET", status="200") == before + 1
    values = http_label_values()
    assert not any("item-7" in v or "tenant-42" in v or "thing-8" in v for v in values)
