"""Agencies decide the review steps addressed to them."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AgencyDep, ServicesDep
from api.routes.cases import CaseAck
from orchestrator.case_commands import Verdict

router = APIRouter(prefix="/v1/cases", tags=["agencies"])


@router.post("/{case_id}/steps/{step_id}/decision", status_code=202, response_model=CaseAck)
async def decide_review(
    case_id: str, step_id: str, body: Verdict, agency: AgencyDep, services: ServicesDep
) -> CaseAck:
    """Approve, reject (with a reason code), or ask the citizen for a missing field (`request_input`).

    Only the step's own agency may; to any other the step does not exist (404).
    """
    record = await services.commands.decide(case_id, step_id, agency, body)
    return CaseAck(case_id=record.case_id, status=record.status)
