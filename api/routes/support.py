"""Support staff: find stuck cases, read one with its history and audit trail, and act on one or
on every case a filter matches.

Each action on a case is a Temporal Update the workflow validates (a reset is Temporal's own):
the answer is the case as the workflow now sees it, or 409 naming why the action does not apply.
Every action and every read is audited (a list or a batch report once per request, with its
filter or batch id and count). Only the support role reaches these routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CommandLimit, ServicesDep, SupportDep
from api.services import Services
from orchestrator.auth import Principal
from orchestrator.case_commands import SupportAction
from orchestrator.cases import CaseView
from orchestrator.support_models import (
    BulkReport,
    BulkRequest,
    SupportCaseDetail,
    SupportCaseList,
    SupportFilter,
    SupportVerb,
)

router = APIRouter(prefix="/v1/support", tags=["support"])


@router.get("/cases", response_model=SupportCaseList)
async def list_cases(
    filter: Annotated[SupportFilter, Query()], support: SupportDep, services: ServicesDep
) -> SupportCaseList:
    """Cases matching every filter given, each with why it is stuck (`stuck=true` for only those)."""
    return await services.support.find(filter, support)


@router.get("/cases/{case_id}", response_model=SupportCaseDetail)
async def get_case(case_id: str, support: SupportDep, services: ServicesDep) -> SupportCaseDetail:
    """The case, why it is stuck, its Temporal history in summary and its audit trail."""
    return await services.support.detail(case_id, support)


@router.post("/cases:bulk", response_model=BulkReport)
async def bulk(
    body: BulkRequest, support: SupportDep, limit: CommandLimit, services: ServicesDep
) -> BulkReport:
    """One action on every case the filter matches (up to `limit`): `dry_run` (the default) lists
    them; otherwise each is acted on and re-read, and the report says what each reached."""
    return await services.support.bulk(body, support)


@router.get("/batches/{batch_id}", response_model=BulkReport)
async def batch(batch_id: str, support: SupportDep, services: ServicesDep) -> BulkReport:
    """A bulk action's report, as it was written when the batch ran."""
    return await services.support.batch(batch_id, support)


StepAction = Callable[[str, str, SupportAction, Principal, None, Services], Awaitable[CaseView]]


def _step_action(verb: SupportVerb, doc: str) -> StepAction:
    async def act(
        case_id: str,
        step_id: str,
        body: SupportAction,
        support: SupportDep,
        limit: CommandLimit,
        services: ServicesDep,
    ) -> CaseView:
        return await services.support.act(case_id, verb, support, body.reason, step_id, body.note)

    act.__doc__ = doc
    act.__name__ = f"{verb}_step"
    return act


_STEP_ACTIONS: list[tuple[SupportVerb, str]] = [
    ("retry", "Retry a held step now (same idempotency key), or end a retrying step's backoff at once."),
    ("skip", "Skip a held step the definition lets support skip: the case goes on without its output."),
    (
        "resolve",
        "Declare a held agency call done by hand: the step succeeds without output, or its undo counts.",
    ),
    ("pause", "Stop the step's agency calls (a known outage) until resumed; pausing twice changes nothing."),
    ("resume", "Let a paused step call its agency again, at once; resuming twice changes nothing."),
    ("reset", "Temporal reset to just before the step first called its agency, to re-run it on new code."),
]

for _verb, _doc in _STEP_ACTIONS:
    router.add_api_route(
        f"/cases/{{case_id}}/steps/{{step_id}}:{_verb}",
        _step_action(_verb, _doc),
        methods=["POST"],
        response_model=CaseView,
        name=f"{_verb}_step",
    )


@router.post("/cases/{case_id}:compensate", response_model=CaseView)
async def compensate_case(
    case_id: str, body: SupportAction, support: SupportDep, limit: CommandLimit, services: ServicesDep
) -> CaseView:
    """Roll the case back: steps in flight finish, then everything done is undone."""
    return await services.support.act(case_id, "compensate", support, body.reason, None, body.note)
