"""One case as support sees it (summary, steps, timeline, Temporal history, audit trail) and a
form per action, each needing a reason code. An action's page shows what the workflow answered:
the case as it now stands, or why the action does not apply (its 409)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.console.actions import ACTIONS, BY_VERB, PAST
from api.console.deps import (
    CONSOLE_PATH,
    ActionLimit,
    CsrfChecked,
    DeskDep,
    PagesDep,
    StaffDep,
    problem,
)
from api.console.forms import ActionForm, ErrorItem, errors_of
from api.pages.audience import given
from orchestrator.auth import Principal
from orchestrator.cases import StepStatus
from orchestrator.errors import CaseNotFound, CaseStateError, Unavailable
from orchestrator.support_desk import SupportDesk

router = APIRouter(prefix=CONSOLE_PATH)


async def _case_page(
    request: Request,
    pages: PagesDep,
    staff: Principal,
    desk: SupportDesk,
    case_id: str,
    errors: list[ErrorItem] | None = None,
    sent: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        detail = await desk.detail(case_id, staff)
    except CaseNotFound:
        return problem(request, pages, staff, 404, "Case not found", f"There is no case {case_id}.")
    except Unavailable as exc:
        return problem(request, pages, staff, 503, "Try again shortly", str(exc))
    held = [s.id for s in detail.case.steps if s.status is StepStatus.needs_attention]
    context = {
        "title": f"Case {case_id}",
        "section": "cases",
        "staff": staff,
        "errors": errors or [],
        "detail": detail,
        "case": detail.case,
        "actions": ACTIONS,
        "default_step": held[0] if held else "",
        "sent": sent or {},
    }
    return pages.render(request, "support/case_page.html", context, status_code=400 if errors else 200)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(
    case_id: str, request: Request, pages: PagesDep, staff: StaffDep, desk: DeskDep
) -> HTMLResponse:
    """The case, its stuck reasons, steps, timeline, history summary, audit trail and actions."""
    return await _case_page(request, pages, staff, desk, case_id)


@router.post("/cases/{case_id}/actions", response_class=HTMLResponse, dependencies=[CsrfChecked, ActionLimit])
async def act(
    case_id: str, request: Request, pages: PagesDep, staff: StaffDep, desk: DeskDep
) -> HTMLResponse:
    """Sends one action; the page says what the workflow answered."""
    sent = given((await request.form()).multi_items())
    verb = sent.get("verb", "")
    try:
        form = ActionForm.model_validate(sent)
    except ValidationError as exc:
        return await _case_page(request, pages, staff, desk, case_id, errors_of(exc, f"{verb}-"), sent)
    action = BY_VERB[form.verb]
    context: dict[str, object] = {
        "title": action.title,
        "section": "cases",
        "staff": staff,
        "errors": [],
        "case_id": case_id,
        "action": action,
        "form": form,
    }
    status = 200
    try:
        context["case"] = await desk.act(case_id, form.verb, staff, form.reason, form.step, form.note)
        context["done"] = PAST[form.verb]
    except CaseStateError as exc:
        status, context["refused"] = 409, str(exc)
    except CaseNotFound as exc:
        status, context["refused"] = 404, str(exc)
    except Unavailable as exc:
        status, context["refused"] = 503, f"{exc}: nothing was changed, try again"
    if "refused" in context:
        context["errors"] = [{"text": str(context["refused"])}]
    return pages.render(request, "support/action_result.html", context, status_code=status)
