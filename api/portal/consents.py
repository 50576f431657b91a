"""The citizen's consents: the ones given (and withdrawn, with when) from `GET /v1/me/consents`,
each withdrawable; and the shares a life event may ask consent for (from each life event's form
schemas), which the citizen can give ahead of any case so no step needs to ask. Giving is `PUT`
and withdrawing `DELETE /v1/me/consents/{agency}/{action}`; a refusal is shown on the page with
the API's words. Shares already made stay in the data-use log."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.portal.citizen_api import ApiProblem, CitizenApi
from api.portal.deps import CsrfChecked, PagesDep, citizen_page
from api.portal.schema_form import ErrorItem
from orchestrator.consent_desk import ConsentView
from orchestrator.consents import ConsentState
from orchestrator.permissions import Permission

router = APIRouter()

ConsentsDep = Annotated[CitizenApi, citizen_page(Permission.own_consents)]


async def _page(
    request: Request,
    pages: PagesDep,
    api: CitizenApi,
    errors: list[ErrorItem] | None = None,
    status: int = 200,
) -> Response:
    consents = (await api.consents()).data
    given = {(c.agency, c.action) for c in consents if c.state is ConsentState.given}
    ahead: dict[tuple[str, str], dict[str, object]] = {}
    for entry in (await api.catalog()).data:
        for asked in (await api.schema(entry.type)).consents.values():
            if (asked.agency, asked.action) not in given:
                ahead.setdefault((asked.agency, asked.action), {"asked": asked, "event": entry.title})
    context = {
        "title": "Your consents",
        "section": "consents",
        "citizen": api.principal,
        "consents": consents,
        "ahead": list(ahead.values()),
        "done": request.query_params.get("done", ""),
        "errors": errors or [],
    }
    return pages.render(request, "portal/consents.html", context, status_code=status)


@router.get("/consents", response_class=HTMLResponse)
async def consents_page(request: Request, pages: PagesDep, api: ConsentsDep) -> Response:
    """The consents given and withdrawn, and those a life event may ask for."""
    return await _page(request, pages, api)


@router.post("/consents/{agency}/{action}/give", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def give(agency: str, action: str, request: Request, pages: PagesDep, api: ConsentsDep) -> Response:
    """Gives (or renews) a consent ahead of any case."""
    return await _change(request, pages, api, api.give_consent(agency, action), "given")


@router.post("/consents/{agency}/{action}/withdraw", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def withdraw(agency: str, action: str, request: Request, pages: PagesDep, api: ConsentsDep) -> Response:
    """Withdraws a consent: the next share asks again."""
    return await _change(request, pages, api, api.withdraw_consent(agency, action), "withdrawn")


async def _change(
    request: Request, pages: PagesDep, api: CitizenApi, change: Awaitable[ConsentView], done: str
) -> Response:
    """The page again after a change: with the banner `done`, or the API's refusal."""
    try:
        await change
    except ApiProblem as refused:
        if refused.status not in (404, 409, 422):
            raise
        return await _page(request, pages, api, [{"text": refused.problem.detail}], refused.status)
    return RedirectResponse(f"/consents?done={done}", status_code=303)
