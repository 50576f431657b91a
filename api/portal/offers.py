"""Answering an offer from the case page: accept starts the offered life event as a case of its
own (the page then shows that case), decline records the answer.

Accepting needs nothing typed when the first case and the profile give every input the service
asks; otherwise the API's 422 names the inputs still missing, and the case page shows a form of
exactly those (from the service's schema) under the offer, sent with the next accept. An offer
that is no longer open (expired, decided) is shown with the API's words (409).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.audience import given
from api.portal.case_page import render_case
from api.portal.citizen_api import ApiProblem, CitizenApi
from api.portal.deps import CsrfChecked, PagesDep, citizen_page
from api.portal.schema_form import ErrorItem, SchemaForm
from orchestrator.permissions import Permission

router = APIRouter()

OfferDep = Annotated[CitizenApi, citizen_page(Permission.answer_offer)]
MISSING = "missing"
"""The hidden field naming the inputs a refused accept asked for (they come back with the form)."""


@router.post(
    "/cases/{case_id}/offers/{offer_id}/accept", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def accept(case_id: str, offer_id: str, request: Request, pages: PagesDep, api: OfferDep) -> Response:
    """Starts the offered life event; the inputs it still needs are asked on the case page."""
    case = await api.case(case_id)
    offer = next((o for o in case.offers if o.id == offer_id), None)
    if offer is None:
        errors: list[ErrorItem] = [{"text": "This case has no such offer."}]
        return await render_case(request, pages, api, case, errors=errors, status=404)
    values = given((await request.form()).multi_items())
    asked = [n for n in values.get(MISSING, "").split(",") if n]
    # The service's schema only when a form of its inputs is read or shown: most accepts need none.
    schema = (await api.schema(offer.service)).inputs if asked else {}
    data = SchemaForm(schema, only=asked).read(values) if asked else {}
    try:
        started = await api.accept_offer(case_id, offer_id, data)
    except ApiProblem as refused:
        if refused.status not in (409, 422):
            raise
        if refused.status == 409:
            return await render_case(
                request, pages, api, case, errors=[{"text": refused.problem.detail}], status=409
            )
        named = [e.field.rsplit(".", 1)[-1] for e in refused.problem.errors or []]
        schema = schema or (await api.schema(offer.service)).inputs
        form = SchemaForm(schema, prefix=f"{offer_id}-", only=sorted({*asked, *named}))
        field_errors, summary = form.errors(refused.problem)
        fields = form.fields(values, field_errors)
        return await render_case(
            request, pages, api, case, errors=summary, status=422, offer_missing=(offer_id, fields)
        )
    return RedirectResponse(f"/cases/{started.case_id}?done=offer-accepted", status_code=303)


@router.post(
    "/cases/{case_id}/offers/{offer_id}/decline", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def decline(case_id: str, offer_id: str, request: Request, pages: PagesDep, api: OfferDep) -> Response:
    """Records that the citizen does not want the offered service."""
    try:
        await api.decline_offer(case_id, offer_id)
    except ApiProblem as refused:
        if refused.status not in (404, 409):
            raise
        return await render_case(
            request,
            pages,
            api,
            await api.case(case_id),
            errors=[{"text": refused.problem.detail}],
            status=refused.status,
        )
    return RedirectResponse(f"/cases/{case_id}?done=offer-declined", status_code=303)
