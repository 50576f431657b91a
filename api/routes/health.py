"""Liveness and readiness, for process managers and load balancers."""

from __future__ import annotations

import asyncio

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


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(services: ServicesDep) -> Health | JSONResponse:
    """Temporal and MongoDB both answer."""
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(services.db.command("ping"), timeout=3)
        checks["mongodb"] = "ok"
    except Exception as exc:
        checks["mongodb"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.wait_for(services.temporal.service_client.check_health(), timeout=3)
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"error: {type(exc).__name__}"
    health = Health(status="ok" if all(v == "ok" for v in checks.values()) else "unavailable", checks=checks)
    if health.status != "ok":
        return JSONResponse(health.model_dump(), status_code=503)
    return health
