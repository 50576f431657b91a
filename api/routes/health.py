"""Liveness and readiness, for process managers and load balancers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ServicesDep


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, timeout=3)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(services: ServicesDep) -> Health | JSONResponse:
    """Temporal and MongoDB both answer; asked together, so a dead one costs its timeout once."""
    mongodb, temporal = await asyncio.gather(
        _check(services.db.command("ping")), _check(services.temporal.service_client.check_health())
    )
    checks = {"mongodb": mongodb, "temporal": temporal}
    health = Health(status="ok" if all(v == "ok" for v in checks.values()) else "unavailable", checks=checks)
    if health.status != "ok":
        return JSONResponse(health.model_dump(), status_code=503)
    return health
