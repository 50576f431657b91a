"""The console's routes under `/support`, hidden from the OpenAPI schema (they are pages, not
the API), and the pages that answer a refused form and an action past its budget."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from api.console import bulk, case_list, case_page, sign_in
from api.console.deps import SESSION, ActionsLimited, FormRefused, get_pages, problem
from api.services import Services

router = APIRouter(include_in_schema=False)
for module in (sign_in, case_list, case_page, bulk):
    router.include_router(module.router)


async def _form_refused(request: Request, exc: Exception) -> Response:
    services: Services = request.app.state.services
    pages = get_pages(services)
    staff = SESSION.principal(request, services.tokens)
    return problem(request, pages, staff, 403, "The form was not accepted", str(exc))


async def _actions_limited(request: Request, exc: Exception) -> Response:
    services: Services = request.app.state.services
    staff = SESSION.principal(request, services.tokens)
    page = problem(request, get_pages(services), staff, 429, "Too many actions", str(exc))
    page.headers["Retry-After"] = str(exc.retry_after if isinstance(exc, ActionsLimited) else 1)
    return page


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(FormRefused, _form_refused)
    app.add_exception_handler(ActionsLimited, _actions_limited)
