"""The console's routes under `/support`, hidden from the OpenAPI schema (they are pages, not
the API), and the page that answers a refused form."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from api.console import bulk, case_list, case_page, sign_in
from api.console.deps import SESSION, FormRefused, get_pages, problem
from api.services import Services

router = APIRouter(include_in_schema=False)
for module in (sign_in, case_list, case_page, bulk):
    router.include_router(module.router)


async def _form_refused(request: Request, exc: Exception) -> Response:
    services: Services = request.app.state.services
    pages = get_pages(services)
    staff = SESSION.principal(request, services.tokens)
    return problem(request, pages, staff, 403, "The form was not accepted", str(exc))


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(FormRefused, _form_refused)
