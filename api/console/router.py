"""The console's routes under `/support`, hidden from the OpenAPI schema (they are pages, not
the API), and the page that answers an action past its budget (a refused form's is every
audience's: `api/pages/audience.py`)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from api.console import bulk, case_list, case_page, sign_in
from api.console.deps import SESSION, ActionsLimited, get_pages, problem
from api.pages import audience
from api.services import Services

router = APIRouter(include_in_schema=False)
for module in (sign_in, case_list, case_page, bulk):
    router.include_router(module.router)


async def _actions_limited(request: Request, exc: Exception) -> Response:
    services: Services = request.app.state.services
    staff = SESSION.principal(request, services.tokens)
    page = problem(request, get_pages(services), staff, 429, "Too many actions", str(exc))
    page.headers["Retry-After"] = str(exc.retry_after if isinstance(exc, ActionsLimited) else 1)
    return page


def install(app: FastAPI) -> None:
    app.include_router(router)
    audience.install(app)
    app.add_exception_handler(ActionsLimited, _actions_limited)
