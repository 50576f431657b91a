"""Signing in to the portal with a citizen token, and out again.

The token is checked as the JSON API checks a bearer token and must carry the citizen role; it
is then kept in an HttpOnly, SameSite=Strict cookie (`api/pages/session.py`). On a development
stack, where OneStop's own dev key signs tokens, "Sign in as a test citizen" mints one for a new
citizen id, so trying the portal needs no command line; where an identity provider issues tokens
(`ONESTOP_JWT_JWKS_URL`) or in production, that shortcut is neither offered nor accepted.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.deps import ServicesDep
from api.portal.deps import HOME, PORTAL, CsrfChecked, PagesDep
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.settings import Settings

router = APIRouter()


class SignInForm(BaseModel):
    token: str = ""
    next: str = ""


class TestCitizenForm(BaseModel):
    next: str = ""


def mints_test_citizens(settings: Settings) -> bool:
    """Only where OneStop's dev key is what signs tokens, and never in production."""
    return settings.environment != "production" and not settings.jwt_jwks_url


def _sign_in_page(
    request: Request,
    pages: PagesDep,
    settings: Settings,
    next_path: str,
    errors: list[dict[str, str]],
    status: int = 200,
    signed_out: bool = False,
) -> Response:
    context = {
        "title": "Sign in",
        "next": PORTAL.safe_next(next_path, HOME),
        "signed_out": signed_out,
        "test_citizen": mints_test_citizens(settings),
        "errors": errors,
    }
    return pages.render(request, "portal/sign_in.html", context, status_code=status)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(
    request: Request, pages: PagesDep, services: ServicesDep, next: str = "", signed_out: bool = False
) -> Response:
    """The sign-in form (and, on a development stack, the test citizen's button)."""
    return _sign_in_page(request, pages, services.settings, next, [], signed_out=signed_out)


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def sign_in(
    request: Request, form: Annotated[SignInForm, Form()], pages: PagesDep, services: ServicesDep
) -> Response:
    """Checks the token, then keeps it in the session cookie; a wrong one is refused on the form."""
    refused = PORTAL.refusal(form.token, services.tokens)
    if refused is not None:
        status, message = refused
        errors = [{"text": message, "href": "#token"}]
        return _sign_in_page(request, pages, services.settings, form.next, errors, status)
    return _signed_in(request, form.token, form.next)


@router.post("/sign-in/test-citizen", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def sign_in_test_citizen(
    request: Request, form: Annotated[TestCitizenForm, Form()], pages: PagesDep, services: ServicesDep
) -> Response:
    """Mints a token for a new test citizen and signs in with it (development stacks only)."""
    settings = services.settings
    if not mints_test_citizens(settings):
        message = "Test citizens exist only on a development stack. Sign in with your token."
        return PORTAL.problem(request, pages, None, 404, "Page not found", message, back="/sign-in")
    principal = Principal(role=Role.citizen, sub=f"test-citizen-{uuid.uuid4().hex[:12]}")
    token = issue_token(principal, settings.jwt_secret, settings.jwt_ttl_seconds, settings.token_rules)
    return _signed_in(request, token, form.next)


def _signed_in(request: Request, token: str, next_path: str) -> Response:
    response = RedirectResponse(PORTAL.safe_next(next_path, HOME), status_code=303)
    PORTAL.session.start(request, response, token)
    return response


@router.post("/sign-out", dependencies=[CsrfChecked])
async def sign_out(request: Request) -> RedirectResponse:
    """Forgets the token: the browser holds nothing of the session afterwards."""
    response = RedirectResponse("/sign-in?signed_out=true", status_code=303)
    PORTAL.session.end(request, response)
    return response
