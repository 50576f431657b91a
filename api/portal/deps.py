"""The portal's dependencies: its audience (a citizen's session cookie and CSRF cookie, scoped to
the whole site since the portal lives at `/`), its pages renderer, and for each page the signed-in
citizen's API client, with the permission the page needs (the route test reads it off the
dependency, as it reads a JSON route's).

A refusal from the API that a page does not handle itself (a case that is not theirs, a service
that did not answer, a budget spent) becomes the portal's problem page with the API's status and
words; a token that expired meanwhile sends the browser to sign in again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ServicesDep, require
from api.pages.audience import Audience
from api.pages.rendering import Pages
from api.pages.session import SessionCookie
from api.portal.citizen_api import ApiProblem, CitizenApi
from api.services import Services
from orchestrator.auth import Principal, Role
from orchestrator.permissions import Permission

PORTAL = Audience(
    path="",
    session=SessionCookie("onestop_citizen", "/", Role.citizen),
    csrf_cookie="onestop_citizen_csrf",
    templates="portal",
    person="citizen",
)
HOME = "/"


def get_pages(services: ServicesDep) -> Pages:
    return PORTAL.pages(services.settings.jwt_secret)


PagesDep = Annotated[Pages, Depends(get_pages)]
CsrfChecked = PORTAL.csrf_checked()


@asynccontextmanager
async def _api(request: Request, principal: Principal) -> AsyncIterator[CitizenApi]:
    """The API client for the session's token, closed after the page."""
    token = request.cookies[PORTAL.session.name]
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    api = CitizenApi(request.app, principal, token, request_id)
    try:
        yield api
    finally:
        await api.aclose()


def citizen_page(permission: Permission) -> Any:
    """The signed-in citizen's API client; a browser without a citizen session is sent to sign
    in (303) and comes back here after."""

    async def signed_in(request: Request, services: ServicesDep) -> AsyncIterator[CitizenApi]:
        principal = require(PORTAL.require(request, services.tokens), permission)
        async with _api(request, principal) as api:
            yield api

    signed_in.permission = permission  # type: ignore[attr-defined]
    return Depends(signed_in)


async def _maybe_signed_in(request: Request, services: ServicesDep) -> AsyncIterator[CitizenApi | None]:
    principal = PORTAL.signed_in(request, services.tokens)
    if principal is None:
        yield None
        return
    async with _api(request, principal) as api:
        yield api


MaybeCitizenDep = Annotated[CitizenApi | None, Depends(_maybe_signed_in)]
"""For a public page: the citizen's API client when one is signed in, else None."""


_TITLES = {
    403: "You cannot do that",
    404: "Page not found",
    409: "This cannot be done now",
    422: "Check what you entered",
    429: "Too many requests",
    503: "Sorry, the service is unavailable",
}


def problem_page(
    request: Request, pages: Pages, citizen: Principal | None, refused: ApiProblem, back: str = HOME
) -> HTMLResponse:
    """The API's refusal as a page: its status, a title a citizen reads, the API's own detail."""
    title = _TITLES.get(refused.status, "Sorry, there is a problem with the service")
    page = PORTAL.problem(request, pages, citizen, refused.status, title, refused.problem.detail, back=back)
    if refused.retry_after:
        page.headers["Retry-After"] = refused.retry_after
    return page


async def _api_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    services: Services = request.app.state.services
    if exc.status == 401:
        return RedirectResponse(PORTAL.sign_in_url(request.url.path), status_code=303)
    citizen = PORTAL.signed_in(request, services.tokens)
    return problem_page(request, get_pages(services), citizen, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiProblem, _api_refused)
