"""Bulk actions: one action on every case a filter matches, chosen by cause (every case stuck on
one agency's outage). The first press is always a dry run listing the cases; only its page
offers to apply, and the applied report says per case what the desk re-read afterwards."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.console.actions import ACTIONS
from api.console.case_list import filter_options
from api.console.deps import (
    CONSOLE_PATH,
    ActionLimit,
    CsrfChecked,
    DeskDep,
    PagesDep,
    StaffDep,
    problem,
)
from api.console.forms import ErrorItem, errors_of, parse_filter
from api.deps import ServicesDep
from api.pages.audience import given
from orchestrator.auth import Principal
from orchestrator.errors import Unavailable
from orchestrator.support_models import BulkReport, BulkRequest

router = APIRouter(prefix=CONSOLE_PATH)

FILTER_PREFIX = "filter-"
"""The bulk form's filter fields are prefixed: the filter's `step` is not the step acted on."""


def _form_page(
    request: Request,
    pages: PagesDep,
    staff: Principal,
    services: ServicesDep,
    fields: dict[str, str],
    errors: list[ErrorItem],
    report: BulkReport | None = None,
) -> HTMLResponse:
    context = {
        "title": "Bulk actions" if report is None else ("Dry run" if report.dry_run else "Bulk report"),
        "section": "bulk",
        "staff": staff,
        "errors": errors,
        "fields": fields,
        "filter_query": {k: v for k, v in fields.items() if k.startswith(FILTER_PREFIX)},
        "options": filter_options(services),
        "actions": ACTIONS,
        "report": report,
    }
    return pages.render(request, "support/bulk.html", context, status_code=400 if errors else 200)


@router.get("/bulk", response_class=HTMLResponse)
async def bulk_form(
    request: Request, pages: PagesDep, staff: StaffDep, services: ServicesDep
) -> HTMLResponse:
    """Choose the filter, the action, the step and the reason; the next page is a dry run."""
    fields = given(request.query_params.multi_items())
    fields.setdefault(f"{FILTER_PREFIX}stuck", "true")
    return _form_page(request, pages, staff, services, fields, [])


@router.post("/bulk", response_class=HTMLResponse, dependencies=[CsrfChecked, ActionLimit])
async def bulk_run(
    request: Request, pages: PagesDep, staff: StaffDep, desk: DeskDep, services: ServicesDep
) -> HTMLResponse:
    """A dry run (the cases that match, nothing sent), or, from a dry run's page, the real run."""
    fields = given((await request.form()).multi_items())
    filter_fields = {
        k.removeprefix(FILTER_PREFIX): v for k, v in fields.items() if k.startswith(FILTER_PREFIX)
    }
    support_filter, errors = parse_filter({**filter_fields, "searched": "1"}, FILTER_PREFIX)
    if errors:
        return _form_page(request, pages, staff, services, fields, errors)
    values = {k: fields[k] for k in ("action", "step", "reason", "limit") if k in fields}
    try:
        bulk = BulkRequest.model_validate(
            {**values, "filter": support_filter, "dry_run": fields.get("dry_run") != "false"}
        )
    except ValidationError as exc:
        return _form_page(request, pages, staff, services, fields, errors_of(exc))
    try:
        report = await desk.bulk(bulk, staff)
    except Unavailable as exc:
        return problem(request, pages, staff, 503, "Try again shortly", str(exc))
    return _form_page(request, pages, staff, services, fields, [], report)
