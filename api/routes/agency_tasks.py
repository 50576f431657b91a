"""Agencies decide the review steps addressed to them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AgencyDep, ServicesDep
from api.routes.cases import CaseAck


class ReviewDecision(BaseModel):
    approved: bool
    reason: str = Field(default="", max_length=500)


router = APIRouter(prefix="/v1/cases", tags=["agencies"])


@router.post("/{case_id}/steps/{step_id}/decision", status_code=202, response_model=CaseAck)
async def decide_review(
    case_id: str, step_id: str, body: ReviewDecision, agency: AgencyDep, services: ServicesDep
) -> CaseAck:
    """Approve or reject an agency_review step; only the step's own agency may."""
    record = await services.commands.decide(case_id, step_id, agency, body.approved, body.reason)
    return CaseAck(case_id=record.case_id, status=record.status)
