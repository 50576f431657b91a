"""A citizen follows their cases: progress per agency, the timeline, and what each agency received;
and acts on them: cancel, or answer what a step asks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, JsonValue

from api.deps import AnswerStepDep, CancelCaseDep, CommandLimit, ListOwnCasesDep, ReadCaseDep, ServicesDep
from orchestrator.case_listing import own_cases
from orchestrator.cases import CaseStatus, CaseView
from orchestrator.offer_desk import CaseDetail


class CaseList(BaseModel):
    data: list[CaseView]
    count: int
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page")


class CaseCancel(BaseModel):
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="kept in the timeline only"
    )


class StepAnswer(BaseModel):
    data: dict[str, JsonValue]


router = APIRouter(prefix="/v1/cases", tags=["citizens"])


@router.get("", response_model=CaseList)
async def list_cases(
    citizen: ListOwnCasesDep,
    services: ServicesDep,
    status: CaseStatus | None = None,
    type_: Annotated[str | None, Query(alias="type", min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> CaseList:
    """The caller's own cases, newest first, filtered by status (as the case reads) and life
    event, a page at a time; citizens only, since support staff have none."""
    page = await own_cases(
        services.cases, citizen.sub, status=status, type_=type_, limit=limit, cursor=cursor
    )
    return CaseList(data=page.views, count=len(page.views), next_cursor=page.next_cursor)


@router.get("/{case_id}", response_model=CaseDetail)
async def get_case(case_id: str, principal: ReadCaseDep, services: ServicesDep) -> CaseDetail:
    """One case: status, each step with its agency, the timeline, and the offers made after it."""
    return await services.offers.read_case(case_id, principal)


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
