"""The citizen's profile: what OneStop knows of them (`GET /v1/me`), the facts a life event is
pre-filled with, and a form to correct them (`PATCH /v1/me`). The form is built from the
profile model's own schema, so it offers exactly the fields the API takes; the children and
vehicles a completed life event added are listed, not edited here. A field emptied is cleared.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import JsonValue

from api.pages.audience import given
from api.portal.citizen_api import ApiProblem, CitizenApi
from api.portal.deps import CsrfChecked, PagesDep, citizen_page
from api.portal.schema_form import ErrorItem, SchemaForm
from orchestrator.permissions import Permission
from orchestrator.profile import SCALARS, CitizenProfile

router = APIRouter()

ProfileDep = Annotated[CitizenApi, citizen_page(Permission.own_profile)]

TITLES = {
    "name": "Full name",
    "date_of_birth": "Date of birth",
    "address": "Address",
    "previous_address": "Previous address",
    "district": "District",
    "bank_account": "Bank account",
    "spouse_name": "Spouse's full name",
    "household_size": "People in your household",
    "owns_vehicle": "Do you keep a registered vehicle?",
}


def profile_form() -> SchemaForm:
    """The profile's scalar fields, as the profile model describes them, titled for a citizen."""
    schema: dict[str, Any] = CitizenProfile.model_json_schema()
    properties = {n: {**schema["properties"][n], "title": TITLES.get(n, n)} for n in SCALARS}
    return SchemaForm({"properties": properties}, prefix="profile-")


def _page(
    request: Request,
    pages: PagesDep,
    api: CitizenApi,
    profile: CitizenProfile,
    values: dict[str, str],
    field_errors: dict[str, str] | None = None,
    errors: list[ErrorItem] | None = None,
) -> Response:
    context = {
        "title": "Your profile",
        "section": "profile",
        "citizen": api.principal,
        "profile": profile,
        "fields": profile_form().fields(values, field_errors),
        "done": request.query_params.get("done", ""),
        "errors": errors or [],
    }
    return pages.render(request, "portal/profile.html", context, status_code=422 if errors else 200)


@router.get("/profile", response_class=HTMLResponse)
async def profile_page(request: Request, pages: PagesDep, api: ProfileDep) -> Response:
    """What OneStop knows of the citizen, in a form to correct it."""
    profile = await api.profile()
    return _page(request, pages, api, profile, profile_form().initial(profile))


@router.post("/profile", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def save_profile(request: Request, pages: PagesDep, api: ProfileDep) -> Response:
    """Saves the form; each field left empty is cleared; a refused one is marked on the form."""
    values = given((await request.form()).multi_items())
    form = profile_form()
    sent = form.read(values)
    changes: dict[str, JsonValue] = {name: sent.get(name) for name in SCALARS}
    try:
        await api.update_profile(changes)
    except ApiProblem as refused:
        if refused.status != 422:
            raise
        field_errors, summary = form.errors(refused.problem)
        return _page(request, pages, api, await api.profile(), values, field_errors, summary)
    return RedirectResponse("/profile?done=saved", status_code=303)
