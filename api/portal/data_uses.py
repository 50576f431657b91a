"""The data-use log as the citizen reads it: every share of their data with an agency, newest
first (agency, purpose, the fields by name, the case, when), from `GET /v1/me/data-uses`. The log
keeps field names, never values, and nothing here can change it."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.portal.citizen_api import CitizenApi
from api.portal.deps import PagesDep, citizen_page
from orchestrator.permissions import Permission

router = APIRouter()

DataUsesDep = Annotated[CitizenApi, citizen_page(Permission.own_data_uses)]
PAGE_SIZE = 25
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,64}")


@router.get("/data-uses", response_class=HTMLResponse)
async def data_uses(request: Request, pages: PagesDep, api: DataUsesDep, cursor: str = "") -> Response:
    """A page of shares; a cursor the API does not know is its 422, shown as a problem page."""
    listed = await api.data_uses(cursor if _CURSOR.fullmatch(cursor) else None, PAGE_SIZE)
    context = {
        "title": "Who has used your data",
        "section": "data-uses",
        "citizen": api.principal,
        "uses": listed.data,
        "first_page": not cursor,
        "next_cursor": listed.next_cursor,
        "errors": [],
    }
    return pages.render(request, "portal/data_uses.html", context)
