"""A citizen follows their cases: progress per agency, the timeline, and what each agency received;
and acts on them: cancel, or answer what a step asks."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, JsonValue

from api.deps import AnswerStepDep, CancelCaseDep, CommandLimit, ListOwnCasesDep, ReadCaseDep, ServicesDep
from orchestrator.cases import CaseView


class CaseList(BaseModel):
    data: list[CaseView]
    count: int


class CaseCancel(BaseModel):
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="kept in the timeline only"
    )


class StepAnswer(BaseModel):
    data: dict[str, JsonValue]


router = APIRouter(prefix="/v1/cases", tags=["citizens"])


@router.get("", response_model=CaseList)
async def list_cases(citizen: ListOwnCasesDep, services: ServicesDep) -> CaseList:
    """The caller's own cases, newest first; citizens only, since support staff have none."""
    views = [r.view() for r in await services.cases.list_for_citizen(citizen.sub)]
    return CaseList(data=views, count=len(views))


@router.get("/{case_id}", response_model=CaseView)
async def get_case(case_id: str, principal: ReadCaseDep, services: ServicesDep) -> CaseView:
    """One case: status, each step with its agency, and the timeline."""
    return await services.commands.read_case(case_id, principal)


@router.post("/{case_id}:cancel", response_model=CaseView)
async def cancel_case(
    case_id: str,
    principal: CancelCaseDep,
    limit: CommandLimit,
    services: ServicesDep,
    body: CaseCancel | None = None,
) -> CaseView:
    """Cancel an open case: steps in flight finish, then everything done is compensated.
    Answers with the case as the workflow now sees it, or 409 saying why it cannot."""
    return await services.commands.cancel(case_id, principal, (body or CaseCancel()).reason)


@router.post("/{case_id}/steps/{step_id}/input", response_model=CaseView)
async def answer_step(
    case_id: str,
    step_id: str,
    body: StepAnswer,
    citizen: AnswerStepDep,
    limit: CommandLimit,
    services: ServicesDep,
) -> CaseView:
    """Give the fields a step waiting for the citizen asks for."""
    return await services.commands.provide_input(case_id, step_id, citizen, body.data)
