"""The citizen's cases, newest first, a page at a time (`GET /v1/cases`, paged by its cursor)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.portal.citizen_api import CitizenApi
from api.portal.deps import PagesDep, citizen_page
from orchestrator.permissions import Permission

router = APIRouter()

ListDep = Annotated[CitizenApi, citizen_page(Permission.list_own_cases)]
PAGE_SIZE = 20
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,64}")


@router.get("/cases", response_class=HTMLResponse)
async def my_cases(request: Request, pages: PagesDep, api: ListDep, cursor: str = "") -> Response:
    """A page of the citizen's cases with their status; a link to the next page when there is one.
    A cursor that is not one of this list's (edited by hand) starts again at the newest."""
    listed = await api.cases(cursor if _CURSOR.fullmatch(cursor) else None, PAGE_SIZE)
    titles = {e.type: e.title for e in (await api.catalog()).data}
    context = {
        "title": "Your cases",
        "section": "cases",
        "citizen": api.principal,
        "cases": listed.data,
        "titles": titles,
        "first_page": not cursor,
        "next_cursor": listed.next_cursor,
        "errors": [],
    }
    return pages.render(request, "portal/my_cases.html", context)
