"""Support staff act on a case that holds: retry or skip a step, or compensate the whole case.

Each action is a Temporal Update the workflow validates: the answer is the case as the workflow
now sees it, or 409 naming why the action does not apply.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep, SupportDep
from orchestrator.case_commands import SupportAction
from orchestrator.cases import CaseView

router = APIRouter(prefix="/v1/support/cases", tags=["support"])


@router.post("/{case_id}/steps/{step_id}:retry", response_model=CaseView)
async def retry_step(
    case_id: str, step_id: str, body: SupportAction, support: SupportDep, services: ServicesDep
) -> CaseView:
    """Retry a held step now (same idempotency key), or end a retrying step's backoff at once."""
    return await services.commands.support(case_id, "retry_step", support, body.reason, step_id, body.note)


@router.post("/{case_id}/steps/{step_id}:skip", response_model=CaseView)
async def skip_step(
    case_id: str, step_id: str, body: SupportAction, support: SupportDep, services: ServicesDep
) -> CaseView:
    """Skip a held step the definition lets support skip: the case goes on without its output."""
    return await services.commands.support(case_id, "skip_step", support, body.reason, step_id, body.note)


@router.post("/{case_id}:compensate", response_model=CaseView)
async def compensate_case(
    case_id: str, body: SupportAction, support: SupportDep, services: ServicesDep
) -> CaseView:
    """Roll the case back: steps in flight finish, then everything done is undone."""
    return await services.commands.support(case_id, "compensate", support, body.reason, None, body.note)
