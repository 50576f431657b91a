"""The start page and a life event's form.

`/` lists the life events the catalog runs now (`GET /v1/catalog`); a signed-out visitor sees
what the service does and the way in. A life event's form is built from its input schema
(`GET /v1/catalog/{type}/schema`) and pre-filled from the citizen's profile (`GET /v1/me`);
sending it reports the event (`POST /v1/life-events`) under an idempotency key the form carries
from the moment it was shown, so sending it twice (a double click, a retry after a timeout)
starts one case. A 422 comes back as the form again, every bad field marked.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.audience import given
from api.portal.citizen_api import ApiProblem, CitizenApi
from api.portal.deps import CsrfChecked, MaybeCitizenDep, PagesDep, citizen_page
from api.portal.schema_form import ErrorItem, SchemaForm
from orchestrator.form_schema import FormSchemas
from orchestrator.permissions import Permission
from orchestrator.profile import CitizenProfile

router = APIRouter()

ReportDep = Annotated[CitizenApi, citizen_page(Permission.report_life_event)]
KEY_FIELD = "idempotency_key"
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


@router.get("/", response_class=HTMLResponse)
async def start(request: Request, pages: PagesDep, api: MaybeCitizenDep) -> Response:
    """The life events a citizen can report, or, signed out, the service and the way in."""
    catalog = await api.catalog() if api is not None else None
    events = sorted(catalog.data, key=lambda e: e.title or e.type) if catalog else []
    context = {
        "title": "Tell the state once",
        "section": "start",
        "citizen": api.principal if api else None,
        "events": events,
        "errors": [],
    }
    return pages.render(request, "portal/start.html", context)


async def _form_page(
    request: Request,
    pages: PagesDep,
    api: CitizenApi,
    schemas: FormSchemas,
    values: dict[str, str],
    key: str,
    field_errors: dict[str, str] | None = None,
    errors: list[ErrorItem] | None = None,
    profile: CitizenProfile | None = None,
) -> Response:
    catalog = await api.catalog()
    entry = next((e for e in catalog.data if e.type == schemas.type), None)
    form = SchemaForm(schemas.inputs)
    context = {
        "title": schemas.title or schemas.type,
        "section": "start",
        "citizen": api.principal,
        "description": entry.description if entry else "",
        "type": schemas.type,
        "fields": form.fields(values, field_errors, profile or await api.profile()),
        "key_field": KEY_FIELD,
        "key": key,
        "errors": errors or [],
    }
    return pages.render(request, "portal/life_event_form.html", context, status_code=422 if errors else 200)


@router.get("/life-events/{type_}", response_class=HTMLResponse)
async def life_event_form(type_: str, request: Request, pages: PagesDep, api: ReportDep) -> Response:
    """The life event's form, filled in with what the profile already knows."""
    schemas = await api.schema(type_)
    profile = await api.profile()
    values = SchemaForm(schemas.inputs).initial(profile)
    return await _form_page(request, pages, api, schemas, values, uuid.uuid4().hex, profile=profile)


@router.post("/life-events/{type_}", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def report_life_event(type_: str, request: Request, pages: PagesDep, api: ReportDep) -> Response:
    """Reports the life event; the case's page follows it. A refused form is shown again."""
    schemas = await api.schema(type_)
    values = given((await request.form()).multi_items())
    key = values.get(KEY_FIELD, "")
    if not _KEY.fullmatch(key):
        key = uuid.uuid4().hex  # a form from before keys: a new one, so this send is one case
    form = SchemaForm(schemas.inputs)
    try:
        accepted = await api.report(type_, form.read(values), key)
    except ApiProblem as refused:
        if refused.status != 422:
            raise
        field_errors, summary = form.errors(refused.problem)
        return await _form_page(request, pages, api, schemas, values, key, field_errors, summary)
    return RedirectResponse(f"/cases/{accepted.case_id}", status_code=303)
