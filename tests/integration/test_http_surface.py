"""The app's HTTP behaviour, in-process against the real Postgres: ids, errors, limits, bad input."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.dependencies import DbSession
from gateway.developers.service import developer_service
from gateway.errors import Conflict
from gateway.models import Developer
from gateway.settings import Settings


class NewDeveloper(BaseModel):
    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=50)
    budget: Decimal


def probe_routes() -> APIRouter:
    """Routes that exercise the real session dependency and error handlers."""
    router = APIRouter()

    @router.post("/probe/developers", status_code=201)
    async def create(body: NewDeveloper, session: DbSession) -> dict[str, str]:
        developer = await developer_service.create_developer(session, email=body.email, name=body.name)
        if body.name == "conflict-after-write":
            raise Conflict("written, then refused: the write must not survive")
        return {"id": str(developer.id), "budget": str(body.budget)}

    @router.get("/probe/crash")
    async def crash() -> None:
        raise RuntimeError("unexpected")

    return router


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"max_body_bytes": 4096}))
    application.include_router(probe_routes())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def count_developers(database, email: str) -> int:
    async with database.unit_of_work() as session:
        return int((await session.execute(select(func.count()).where(Developer.email == email))).scalar_one())


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class TestRequestIds:
    async def test_generated_when_absent(self, client: httpx.AsyncClient) -> None:
        first, second = await client.get("/healthz"), await client.get("/healthz")
        assert len(first.headers["x-request-id"]) == 32
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    async def test_sane_incoming_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers={"X-Request-Id": "lb-1234.abc"})
        assert response.headers["x-request-id"] == "lb-1234.abc"

    @pytest.mark.parametrize("bad", ["has spaces", "x" * 200, 'quote"s', "semi;colon"])
    async def test_insane_incoming_id_is_replaced(self, client: httpx.AsyncClient, bad: str) -> None:
        response = await client.get("/healthz", headers={"X-Request-Id": bad})
        assert response.headers["x-request-id"] != bad
        assert len(response.headers["x-request-id"]) == 32

    async def test_errors_carry_the_request_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/no/such/route", headers={"X-Request-Id": "trace-42"})
        body = assert_error(response, 404, "not_found")
        assert body["request_id"] == "trace-42"


class TestErrorsAreJson:
    async def test_unknown_route(self, client: httpx.AsyncClient) -> None:
        assert_error(await client.get("/v1/nothing-here"), 404, "not_found")

    async def test_wrong_method(self, client: httpx.AsyncClient) -> None:
        response = await client.delete("/healthz")
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "GET"

    async def test_unexpected_exception_is_a_500_in_json_without_internals(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/probe/crash")
        body = assert_error(response, 500, "internal_error")
        assert "unexpected" not in response.text
        assert "RuntimeError" not in response.text
        assert body["error"]["details"] == []


class TestBadInput:
    async def test_malformed_json(self, client: httpx.AsyncClient, database) -> None:
        response = await client.post(
            "/probe/developers",
            content=b'{"email": "a@b.c", "name": ',
            headers={"content-type": "application/json"},
        )
        assert_error(response, 400, "invalid_json")

    async def test_wrong_content_type(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/probe/developers", content=b"email=a@b.c", headers={"content-type": "text/plain"}
        )
        assert_error(response, 415, "unsupported_media_type")

    async def test_schema_violation_names_the_fields(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/probe/developers", json={"email": "a@b.c", "name": "", "budget": "lots"}
        )
        body = assert_error(response, 422, "validation_failed")
        fields = {detail["field"] for detail in body["error"]["details"]}
        assert fields == {"name", "budget"}

    async def test_oversized_body_by_content_length(self, client: httpx.AsyncClient, database) -> None:
        email = f"big-{uuid.uuid4().hex[:6]}@example.com"
        payload = {"email": email, "name": "n", "budget": "1", "pad": "x" * 5000}
        assert_error(await client.post("/probe/developers", json=payload), 413, "payload_too_large")
        assert await count_developers(database, email) == 0

    async def test_oversized_streamed_body_without_content_length(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"email": "s@example.com", "name": "n", "budget": "1", "pad": "'
            for _ in range(10):
                yield b"x" * 1000
            yield b'"}'

        response = await client.post(
            "/probe/developers", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_error(response, 413, "payload_too_large")

    async def test_an_error_after_a_write_leaves_nothing_written(
        self, client: httpx.AsyncClient, database
    ) -> None:
        email = f"half-{uuid.uuid4().hex[:6]}@example.com"
        response = await client.post(
            "/probe/developers", json={"email": email, "name": "conflict-after-write", "budget": "1"}
        )
        assert_error(response, 409, "conflict")
        assert await count_developers(database, email) == 0

    async def test_good_input_is_committed_with_exact_decimals(
        self, client: httpx.AsyncClient, database
    ) -> None:
        email = f"ok-{uuid.uuid4().hex[:6]}@example.com"
        response = await client.post(
            "/probe/developers", json={"email": email, "name": "fine", "budget": "0.1000000000000000055511"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["budget"] == "0.1000000000000000055511"
        assert await count_developers(database, email) == 1


class TestProbesAndSchema:
    async def test_healthz(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_readyz_with_real_postgres_and_redis(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}

    async def test_openapi_lists_the_probes(self, client: httpx.AsyncClient) -> None:
        schema = (await client.get("/openapi.json")).json()
        assert schema["info"]["title"] == "Linkgate"
        assert {"/healthz", "/readyz"} <= set(schema["paths"])
        assert "503" in schema["paths"]["/readyz"]["get"]["responses"]


async def test_startup_objects_are_out_of_the_cyclic_collectors_reach(settings: Settings) -> None:
    """The app's long-lived objects are frozen once started, so full collections stop walking them."""
    application = create_app(settings)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() > 50_000
