"""A citizen follows their cases: progress per agency, the timeline, and what each agency received;
and acts on them: cancel, or answer what a step asks."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, JsonValue

from api.deps import CaseReaderDep, CitizenDep, ServicesDep
from orchestrator.case_store import CaseRecord
from orchestrator.cases import CaseStatus, CaseView, effective_status


class CaseList(BaseModel):
    data: list[CaseView]
    count: int


class CaseCancel(BaseModel):
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="kept in the timeline only"
    )


class StepAnswer(BaseModel):
    data: dict[str, JsonValue]


class CaseAck(BaseModel):
    case_id: str
    status: CaseStatus


router = APIRouter(prefix="/v1/cases", tags=["citizens"])


def _view(record: CaseRecord) -> CaseView:
    view = CaseView.model_validate(record.model_dump(include=set(CaseView.model_fields)))
    view.status = effective_status(view.status, view.steps)
    return view


@router.get("", response_model=CaseList)
async def list_cases(citizen: CitizenDep, services: ServicesDep) -> CaseList:
    """The caller's own cases, newest first; citizens only, since support staff have none."""
    views = [_view(r) for r in await services.cases.list_for_citizen(citizen.sub)]
    return CaseList(data=views, count=len(views))


@router.get("/{case_id}", response_model=CaseView)
async def get_case(case_id: str, principal: CaseReaderDep, services: ServicesDep) -> CaseView:
    """One case: status, each step with its agency, and the timeline."""
    return _view(await services.commands.visible_case(case_id, principal))


@router.post("/{case_id}:cancel", status_code=202, response_model=CaseAck)
async def cancel_case(
    case_id: str, principal: CaseReaderDep, services: ServicesDep, body: CaseCancel | None = None
) -> CaseAck:
    """Cancel a running case: steps in flight finish, then everything done is compensated."""
    record = await services.commands.cancel(case_id, principal, (body or CaseCancel()).reason)
    return CaseAck(case_id=record.case_id, status=record.status)


@router.post("/{case_id}/steps/{step_id}/input", status_code=202, response_model=CaseAck)
async def answer_step(
    case_id: str, step_id: str, body: StepAnswer, citizen: CitizenDep, services: ServicesDep
) -> CaseAck:
    """Give the fields a waiting citizen_input step asks for."""
    record = await services.commands.provide_input(case_id, step_id, citizen, body.data)
    return CaseAck(case_id=record.case_id, status=record.status)
