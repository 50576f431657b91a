"""Agencies decide the review steps addressed to them."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CommandLimit, DecideStepDep, ServicesDep
from orchestrator.case_commands import Verdict
from orchestrator.cases import CaseView

router = APIRouter(prefix="/v1/cases", tags=["agencies"])


@router.post("/{case_id}/steps/{step_id}/decision", response_model=CaseView)
async def decide_review(
    case_id: str,
    step_id: str,
    body: Verdict,
    agency: DecideStepDep,
    limit: CommandLimit,
    services: ServicesDep,
) -> CaseView:
    """Approve, reject (with a reason code), or ask the citizen for a missing field (`request_input`).

    Only the step's own agency may; to any other the step does not exist (404). A step that is not
    waiting for this decision answers 409, synchronously, from the workflow itself.
    """
    return await services.commands.decide(case_id, step_id, agency, body)
