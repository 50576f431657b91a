"""The citizen's reminders over months (a birth's vaccinations): what is scheduled, sent or
cancelled (`GET /v1/me/follow-ups`), and cancelling one still scheduled; one already sent is
shown with the API's words (409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.portal.citizen_api import ApiProblem, CitizenApi
from api.portal.deps import CsrfChecked, PagesDep, citizen_page
from api.portal.schema_form import ErrorItem
from orchestrator.permissions import Permission

router = APIRouter()

FollowUpsDep = Annotated[CitizenApi, citizen_page(Permission.own_follow_ups)]


async def _page(
    request: Request,
    pages: PagesDep,
    api: CitizenApi,
    errors: list[ErrorItem] | None = None,
    status: int = 200,
) -> Response:
    catalog = await api.catalog()
    context = {
        "title": "Your reminders",
        "section": "follow-ups",
        "citizen": api.principal,
        "follow_ups": (await api.follow_ups()).data,
        "titles": {e.type: e.title for e in catalog.data},
        "done": request.query_params.get("done", ""),
        "errors": errors or [],
    }
    return pages.render(request, "portal/follow_ups.html", context, status_code=status)


@router.get("/follow-ups", response_class=HTMLResponse)
async def follow_ups_page(request: Request, pages: PagesDep, api: FollowUpsDep) -> Response:
    """Scheduled, sent and cancelled reminders, soonest first."""
    return await _page(request, pages, api)


@router.post(
    "/follow-ups/{case_id}/{follow_up_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def cancel(
    case_id: str, follow_up_id: str, request: Request, pages: PagesDep, api: FollowUpsDep
) -> Response:
    """Cancels a reminder that has not been sent."""
    try:
        await api.cancel_follow_up(case_id, follow_up_id)
    except ApiProblem as refused:
        if refused.status not in (404, 409):
            raise
        return await _page(request, pages, api, [{"text": refused.problem.detail}], refused.status)
    return RedirectResponse("/follow-ups?done=cancelled", status_code=303)
