"""The console's dependencies: its pages renderer, the signed-in support principal (a browser
without a session is sent to sign in), the support desk, the CSRF check every POST passes
first, and the command budget every action form spends (the JSON API's, per person)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from api.deps import ServicesDep, take_command
from api.pages.csrf import FIELD, Csrf
from api.pages.rendering import Pages
from api.pages.session import SessionCookie
from orchestrator.auth import Principal, Role
from orchestrator.errors import RateLimited
from orchestrator.permissions import Permission
from orchestrator.support_desk import SupportDesk

CONSOLE_PATH = "/support"
SESSION = SessionCookie("onestop_support", CONSOLE_PATH, Role.support)
CSRF_COOKIE = "onestop_support_csrf"


def get_pages(services: ServicesDep) -> Pages:
    return Pages(Csrf(services.settings.jwt_secret, CSRF_COOKIE, CONSOLE_PATH))


PagesDep = Annotated[Pages, Depends(get_pages)]


def sign_in_url(next_path: str | None = None) -> str:
    url = f"{CONSOLE_PATH}/sign-in"
    return f"{url}?next={quote(next_path, safe='/')}" if next_path else url


def get_staff(request: Request, services: ServicesDep) -> Principal:
    """The signed-in support principal; otherwise a redirect (303) to the sign-in page."""
    principal = SESSION.principal(request, services.tokens)
    if principal is None:
        raise HTTPException(303, "sign in first", headers={"Location": sign_in_url(request.url.path)})
    return principal


get_staff.permission = Permission.support_cases  # type: ignore[attr-defined]
StaffDep = Annotated[Principal, Depends(get_staff)]


def get_desk(services: ServicesDep) -> SupportDesk:
    """The support desk, in-process: the JSON API's support routes call the same one."""
    return services.support


DeskDep = Annotated[SupportDesk, Depends(get_desk)]


class FormRefused(Exception):
    """A POST whose form does not carry the token its CSRF cookie signs; the console's
    exception handler answers it with a page (403)."""


async def check_csrf(request: Request, pages: PagesDep) -> None:
    form = await request.form()
    token = form.get(FIELD)
    if not pages.csrf.valid(request, token if isinstance(token, str) else None):
        raise FormRefused(
            "This form expired or came from another site. Go back, reload the page and try again."
        )


CsrfChecked = Depends(check_csrf)


class ActionsLimited(Exception):
    """An action form past the person's command budget; the console's exception handler answers
    it with a page (429, `Retry-After`), as the JSON API answers a problem document."""

    def __init__(self, refused: RateLimited) -> None:
        self.retry_after = refused.retry_after
        super().__init__(
            f"You have sent too many actions in a short time. Try again in {refused.retry_after} s."
        )


def limit_actions(staff: StaffDep, services: ServicesDep) -> None:
    try:
        take_command(services, staff)
    except RateLimited as refused:
        raise ActionsLimited(refused) from None


ActionLimit = Depends(limit_actions)


def problem(
    request: Request, pages: Pages, staff: Principal | None, status: int, title: str, message: str
) -> HTMLResponse:
    """A page saying what went wrong and what to do: a case that does not exist, a service that
    did not answer (retry), a form from another site."""
    context: dict[str, object] = {"title": title, "message": message, "staff": staff, "errors": []}
    return pages.render(request, "support/problem.html", context, status_code=status)
