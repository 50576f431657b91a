"""An agency's work list: its open review tasks with their deadlines, and the three ways to
finish one (complete, fail with a reason code, ask the citizen for input).

Thin routes over `WorkList`, whose completions are the one decision command the decision route
sends too. Another agency's task is 404, never 403; a second completion is 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AgencyTasksDep, CommandLimit, DecideStepDep, ServicesDep
from orchestrator.agency_tasks import (
    AgencyTask,
    AgencyTaskList,
    TaskCompletion,
    TaskFailure,
    TaskFilter,
    TaskInputRequest,
)

router = APIRouter(prefix="/v1/agency/tasks", tags=["agencies"])


@router.get("", response_model=AgencyTaskList)
async def list_tasks(
    filter: Annotated[TaskFilter, Query()], agency: AgencyTasksDep, services: ServicesDep
) -> AgencyTaskList:
    """The caller's agency's open and escalated tasks, soonest deadline first."""
    return await services.work_list.find(agency, filter)


@router.get("/{case_id}/{step_id}", response_model=AgencyTask)
async def get_task(case_id: str, step_id: str, agency: AgencyTasksDep, services: ServicesDep) -> AgencyTask:
    """One task of the caller's agency, open, escalated or decided; to any other agency, 404."""
    return await services.work_list.task(agency, case_id, step_id)


@router.post("/{case_id}/{step_id}:complete", response_model=AgencyTask)
async def complete_task(
    case_id: str,
    step_id: str,
    agency: DecideStepDep,
    limit: CommandLimit,
    services: ServicesDep,
    body: TaskCompletion | None = None,
) -> AgencyTask:
    """Approve: the case goes on. A second decision is 409 and changes nothing."""
    return await services.work_list.complete(agency, case_id, step_id, body or TaskCompletion())


@router.post("/{case_id}/{step_id}:fail", response_model=AgencyTask)
async def fail_task(
    case_id: str,
    step_id: str,
    body: TaskFailure,
    agency: DecideStepDep,
    limit: CommandLimit,
    services: ServicesDep,
) -> AgencyTask:
    """Reject with a reason code: the case undoes what was done. A second decision is 409."""
    return await services.work_list.fail(agency, case_id, step_id, body)


@router.post("/{case_id}/{step_id}:request-input", response_model=AgencyTask)
async def request_input(
    case_id: str,
    step_id: str,
    body: TaskInputRequest,
    agency: DecideStepDep,
    limit: CommandLimit,
    services: ServicesDep,
) -> AgencyTask:
    """Ask the citizen for fields the step may ask for (422 names each other one); once answered
    the step is sent to the agency again, as a new round."""
    return await services.work_list.request_input(agency, case_id, step_id, body)
