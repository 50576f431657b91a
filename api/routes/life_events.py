"""Citizens report a life event once; OneStop takes it from there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field, JsonValue

from api.deps import ReportLifeEventDep, ServicesDep, TriggerLimit
from orchestrator.cases import CaseStatus


class LifeEventCreate(BaseModel):
    type: str = Field(min_length=1, max_length=64, examples=["moving_house"])
    data: dict[str, JsonValue] = Field(default_factory=dict)


class CaseAccepted(BaseModel):
    case_id: str
    status: CaseStatus


# Visible ASCII, at least one: an empty key would silently start a new case on every retry, and
# the key is echoed back in a 409's detail.
_IDEMPOTENCY_KEY = r"^[\x21-\x7e]+$"

router = APIRouter(prefix="/v1/life-events", tags=["citizens"])


@router.post("", status_code=202, response_model=CaseAccepted)
async def trigger_life_event(
    body: LifeEventCreate,
    citizen: ReportLifeEventDep,
    limit: TriggerLimit,
    services: ServicesDep,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=_IDEMPOTENCY_KEY),
    ] = None,
) -> CaseAccepted:
    """Report a life event; the same Idempotency-Key returns the same case and starts nothing new."""
    record, _ = await services.intake.trigger(citizen.sub, body.type, body.data, idempotency_key)
    return CaseAccepted(case_id=record.case_id, status=record.status)
