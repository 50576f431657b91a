"""The data exchange, agency side: an agency's own worker fetches the fields of a step it runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import FetchStepDataDep, ServicesDep
from orchestrator.data_exchange import Released

router = APIRouter(prefix="/v1/agency/cases", tags=["agencies"])


@router.get("/{case_id}/steps/{step_id}/data", response_model=Released)
async def step_data(
    case_id: str,
    step_id: str,
    activity_id: Annotated[str, Query(max_length=300, description="the running call's activity id")],
    agency: FetchStepDataDep,
    services: ServicesDep,
) -> Released:
    """The step's declared fields (within the agency's data contract) and whom the case is about,
    while that step's agency call runs (Temporal is asked). Another agency's step is 404; a step
    whose call is not running is 403; both are written to the audit trail. Each release is a
    data-use record the citizen sees."""
    return await services.exchange.fetch(agency, case_id, step_id, activity_id)
