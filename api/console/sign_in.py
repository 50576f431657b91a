"""Signing in and out of the console with a support token (`onestop token --role support`).

The token is checked as the JSON API checks a bearer token, and must carry the support role;
it is then kept in an HttpOnly, SameSite=Strict cookie scoped to `/support`, and in one scoped
to the payload codec, so the Temporal UI can decode for the same person
(`api/routes/codec.py`). Signing out clears both."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.console.deps import CONSOLE_PATH, SESSION, SUPPORT, CsrfChecked, PagesDep
from api.deps import ServicesDep
from api.routes.codec import CODEC_SESSION

router = APIRouter(prefix=CONSOLE_PATH)

HOME = f"{CONSOLE_PATH}/cases"


class SignInForm(BaseModel):
    token: str = ""
    next: str = ""


def safe_next(path: str) -> str:
    """Only a console page: never another site, nor a path outside the console."""
    return SUPPORT.safe_next(path, HOME)


@router.get("", include_in_schema=False)
async def console_home() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(
    request: Request, pages: PagesDep, next: str = "", signed_out: bool = False
) -> Response:
    """The sign-in form."""
    context = {"title": "Sign in", "next": safe_next(next), "signed_out": signed_out, "errors": []}
    return pages.render(request, "support/sign_in.html", context)


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def sign_in(
    request: Request, form: Annotated[SignInForm, Form()], pages: PagesDep, services: ServicesDep
) -> Response:
    """Checks the token, then keeps it in the session cookie; a wrong one is refused on the form."""
    refused = SUPPORT.refusal(form.token, services.tokens)
    if refused is not None:
        status, message = refused
        errors = [{"text": message, "href": "#token"}]
        context = {"title": "Sign in", "next": safe_next(form.next), "signed_out": False, "errors": errors}
        return pages.render(request, "support/sign_in.html", context, status_code=status)
    response = RedirectResponse(safe_next(form.next), status_code=303)
    SESSION.start(request, response, form.token)
    CODEC_SESSION.start(request, response, form.token)
    return response


@router.post("/sign-out", dependencies=[CsrfChecked])
async def sign_out(request: Request) -> RedirectResponse:
    """Forgets the token: the browser holds nothing of the session afterwards."""
    response = RedirectResponse(f"{CONSOLE_PATH}/sign-in?signed_out=true", status_code=303)
    SESSION.end(request, response)
    CODEC_SESSION.end(request, response)
    return response
