"""The stuck list: cases filtered by type, status, agency, whom they wait for, how long they
have been stuck, step and error code, each with the reasons it needs a person. A GET form, so a
filtered list is a link staff can share."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console.deps import CONSOLE_PATH, DeskDep, PagesDep, StaffDep, problem
from api.console.forms import PAGE_SIZE, parse_filter
from api.deps import ServicesDep
from api.pages.audience import given
from orchestrator.cases import CaseStatus, WaitingFor
from orchestrator.errors import Unavailable

router = APIRouter(prefix=CONSOLE_PATH)


def filter_options(services: ServicesDep) -> dict[str, list[str]]:
    """What the filter's selects offer: the catalog's life events and agencies, the statuses."""
    catalog = services.catalog.current()
    return {
        "type": sorted(catalog.definitions),
        "agency": sorted(catalog.directory.agencies),
        "status": [s.value for s in CaseStatus],
        "waiting_for": [w.value for w in WaitingFor],
    }


@router.get("/cases", response_class=HTMLResponse)
async def case_list(
    request: Request, pages: PagesDep, staff: StaffDep, desk: DeskDep, services: ServicesDep
) -> HTMLResponse:
    """Cases matching the filter (only stuck ones until the form says otherwise), a page at a time."""
    fields = given(request.query_params.multi_items())
    support_filter, errors = parse_filter(fields)
    try:
        found = await desk.find(support_filter, staff)
    except Unavailable as exc:
        return problem(request, pages, staff, 503, "Try again shortly", str(exc))
    page = support_filter.offset // PAGE_SIZE + 1
    pages_total = max(1, math.ceil(found.count / PAGE_SIZE))

    def page_url(number: int) -> str:
        query = {k: v for k, v in fields.items() if k not in ("page", "stuck", "searched")}
        query.update({"searched": "1", "page": str(number)})
        if support_filter.stuck:
            query["stuck"] = "true"
        return f"{CONSOLE_PATH}/cases?" + urlencode(query)

    context = {
        "title": "Cases",
        "section": "cases",
        "staff": staff,
        "errors": errors,
        "fields": {**fields, "stuck": "true"} if support_filter.stuck else fields,
        "filter": support_filter,
        "options": filter_options(services),
        "found": found,
        "page": page,
        "previous_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages_total else None,
        "pages_total": pages_total,
    }
    return pages.render(request, "support/case_list.html", context, status_code=400 if errors else 200)
