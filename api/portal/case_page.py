"""A case as its citizen follows it: status, each step with the agency doing it, the timeline,
and what the citizen can do now (answer a question a step asks, cancel; offers are answered by
`api/portal/offers.py`).

Consents a step asks for are answered here too (`POST /v1/cases/{id}/steps/{step}/consent`).
The page follows the case live: while the case is open a small script
(`api/pages/scripts/follow.mjs`) fetches the page again every few seconds and swaps in what
changed; without JavaScript the page says to reload it. A question's form is built from the
step's question schema (`GET /v1/catalog/{type}/schema`), only the fields asked now; a refused
answer or cancel (422, 409) is shown on the case page with the API's words.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.audience import given
from api.portal.case_panels import CasePanels
from api.portal.citizen_api import ApiProblem, CitizenApi
from api.portal.deps import CsrfChecked, PagesDep, citizen_page
from api.portal.schema_form import ErrorItem, FormField, SchemaForm
from orchestrator.cases import FINAL_CASE_STATUSES, CaseView, StepView, WaitingFor
from orchestrator.offer_desk import CaseDetail
from orchestrator.permissions import Permission

router = APIRouter()

ReadDep = Annotated[CitizenApi, citizen_page(Permission.read_case)]
AnswerDep = Annotated[CitizenApi, citizen_page(Permission.answer_step)]
CancelDep = Annotated[CitizenApi, citizen_page(Permission.cancel_case)]


def asked(case: CaseView) -> list[StepView]:
    """The steps waiting for the citizen's answer now."""
    return [s for s in case.steps if s.waiting_for is WaitingFor.citizen and s.asked_fields]


def question_form(schemas_questions: dict[str, dict[str, object]], step: StepView) -> SchemaForm:
    schema = schemas_questions.get(step.id, {"properties": {n: {} for n in step.asked_fields}})
    return SchemaForm(schema, prefix=f"{step.id}-", only=step.asked_fields)


async def render_case(
    request: Request,
    pages: PagesDep,
    api: CitizenApi,
    case: CaseDetail,
    *,
    errors: list[ErrorItem] | None = None,
    status: int = 200,
    answering: str | None = None,
    values: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
    done: str | None = None,
    offer_missing: tuple[str, list[FormField]] | None = None,
) -> Response:
    """The case page; after a refused form, that form (`answering`: its step) shows what was
    typed and each field's error; after a refused accept, the inputs the offer still needs."""
    catalog = await api.catalog()
    titles = {e.type: e.title for e in catalog.data}
    questions = []
    if asked(case):
        schemas = await api.schema(case.type)
        for step in asked(case):
            form = question_form(schemas.questions, step)
            mine = step.id == answering
            shown = values if mine and values is not None else {}
            questions.append({"step": step, "fields": form.fields(shown, field_errors if mine else None)})
    panels = await CasePanels.of(api, case, offer_missing)
    context = {
        "title": titles.get(case.type, case.type.replace("_", " ").capitalize()),
        "section": "cases",
        "citizen": api.principal,
        "case": case,
        "open": case.status not in FINAL_CASE_STATUSES,
        "questions": questions,
        "panels": panels,
        "live_key": f"{case.status.value}|{case.updated_at.isoformat()}|{len(case.timeline)}",
        "actions_key": "|".join([*(f"{s.id}@{s.asked_at}" for s in asked(case)), case.status.value])
        + panels.key,
        "done": done or request.query_params.get("done", ""),
        "errors": errors or [],
    }
    return pages.render(request, "portal/case_page.html", context, status_code=status)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, request: Request, pages: PagesDep, api: ReadDep) -> Response:
    """The case, its steps and timeline, and what the citizen can do now."""
    return await render_case(request, pages, api, await api.case(case_id))


@router.post(
    "/cases/{case_id}/steps/{step_id}/answer", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def answer(case_id: str, step_id: str, request: Request, pages: PagesDep, api: AnswerDep) -> Response:
    """Sends the answer to a step's question; a refused one is shown on its form."""
    case = await api.case(case_id)
    step = next((s for s in asked(case) if s.id == step_id), None)
    if step is None:
        message = "This question was answered already or is no longer asked."
        return await render_case(request, pages, api, case, errors=[{"text": message}], status=409)
    form = question_form((await api.schema(case.type)).questions, step)
    values = given((await request.form()).multi_items())
    try:
        await api.answer(case_id, step_id, form.read(values))
    except ApiProblem as refused:
        if refused.status not in (409, 422):
            raise
        field_errors, summary = form.errors(refused.problem)
        return await render_case(
            request,
            pages,
            api,
            await api.case(case_id),
            errors=summary,
            status=refused.status,
            answering=step_id,
            values=values,
            field_errors=field_errors,
        )
    return RedirectResponse(f"/cases/{case_id}?done=answered", status_code=303)


@router.post(
    "/cases/{case_id}/steps/{step_id}/consent", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def consent(case_id: str, step_id: str, request: Request, pages: PagesDep, api: AnswerDep) -> Response:
    """Gives or refuses the consent a step asks; a question no longer asked is shown with why."""
    given_ = given((await request.form()).multi_items()).get("given")
    if given_ not in ("true", "false"):
        errors: list[ErrorItem] = [
            {"text": "Choose whether to give your consent", "href": f"#{step_id}-given"}
        ]
        return await render_case(request, pages, api, await api.case(case_id), errors=errors, status=422)
    try:
        await api.answer_consent(case_id, step_id, given_ == "true")
    except ApiProblem as refused:
        if refused.status not in (409, 422):
            raise
        errors = [{"text": refused.problem.detail}]
        return await render_case(
            request, pages, api, await api.case(case_id), errors=errors, status=refused.status
        )
    return RedirectResponse(f"/cases/{case_id}?done=consent-{given_}", status_code=303)


@router.post("/cases/{case_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def cancel(case_id: str, request: Request, pages: PagesDep, api: CancelDep) -> Response:
    """Cancels the case (what was done is undone); a case that cannot be is shown with why."""
    reason = given((await request.form()).multi_items()).get("reason")
    try:
        await api.cancel(case_id, reason)
    except ApiProblem as refused:
        if refused.status not in (409, 422):
            raise
        errors: list[ErrorItem] = [{"text": refused.problem.detail}]
        return await render_case(
            request, pages, api, await api.case(case_id), errors=errors, status=refused.status
        )
    return RedirectResponse(f"/cases/{case_id}?done=cancelled", status_code=303)
