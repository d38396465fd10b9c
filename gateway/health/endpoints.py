"""`/healthz` (the process is alive) and `/readyz` (it can reach its database and broker)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from gateway.health.checks import check_broker, check_database
from gateway.state import get_app_state

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> Health:
    """Answers 200 while the process serves requests; checks no dependency."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: database and broker reachable",
    responses={503: {"model": Readiness, "description": "A dependency is unreachable"}},
)
async def readyz(request: Request) -> Response:
    """200 when the database and broker answer within the readiness timeout; else 503 naming what failed."""
    state = get_app_state(request)
    timeout = state.settings.readiness_timeout_s
    database, broker = await asyncio.gather(
        _outcome(check_database(state.database, timeout)),
        _outcome(check_broker(state.broker_probe, timeout)),
    )
    checks = {"database": database, "broker": broker}
    ready = all(result == "ok" for result in checks.values())
    body = Readiness(status="ready" if ready else "unavailable", checks=checks)
    return Response(
        orjson.dumps(body.model_dump()), status_code=200 if ready else 503, media_type="application/json"
    )


async def _outcome(check: Awaitable[None]) -> str:
    try:
        await check
    except TimeoutError:
        return "error: timed out"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"
