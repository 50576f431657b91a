"""A citizen follows their cases: progress per agency, the timeline, and what each agency received."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CaseReaderDep, ServicesDep
from orchestrator.auth import Principal, Role
from orchestrator.case_store import CaseRecord
from orchestrator.cases import CaseView
from orchestrator.errors import CaseNotFound


class CaseList(BaseModel):
    data: list[CaseView]
    count: int


router = APIRouter(prefix="/v1/cases", tags=["citizens"])


def _visible(record: CaseRecord, principal: Principal) -> CaseView:
    """Another citizen's case answers 404, so case ids cannot be probed."""
    if principal.role is Role.citizen and record.citizen_id != principal.sub:
        raise CaseNotFound(record.case_id)
    return CaseView.model_validate(record.model_dump(include=set(CaseView.model_fields)))


@router.get("", response_model=CaseList)
async def list_cases(principal: CaseReaderDep, services: ServicesDep) -> CaseList:
    """The caller's own cases, newest first."""
    records = await services.cases.list_for_citizen(principal.sub)
    views = [_visible(r, principal) for r in records]
    return CaseList(data=views, count=len(views))


@router.get("/{case_id}", response_model=CaseView)
async def get_case(case_id: str, principal: CaseReaderDep, services: ServicesDep) -> CaseView:
    """One case: status, each step with its agency, and the timeline."""
    return _visible(await services.cases.get(case_id), principal)
