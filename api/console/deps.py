"""The console's dependencies: its pages renderer, the signed-in support principal (a browser
without a session is sent to sign in), the support desk, the CSRF check every POST passes
first, and the command budget every action form spends (the JSON API's, per person). The session,
CSRF and problem pages are the ones every audience's pages share (`api/pages/audience.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import ServicesDep, take_command
from api.pages.audience import Audience
from api.pages.rendering import Pages
from api.pages.session import SessionCookie
from orchestrator.auth import Principal, Role
from orchestrator.errors import RateLimited
from orchestrator.permissions import Permission
from orchestrator.support_desk import SupportDesk

CONSOLE_PATH = "/support"
SUPPORT = Audience(
    path=CONSOLE_PATH,
    session=SessionCookie("onestop_support", CONSOLE_PATH, Role.support),
    csrf_cookie="onestop_support_csrf",
    templates="support",
    person="staff",
)
SESSION = SUPPORT.session


def get_pages(services: ServicesDep) -> Pages:
    return SUPPORT.pages(services.settings.jwt_secret)


PagesDep = Annotated[Pages, Depends(get_pages)]


def get_staff(request: Request, services: ServicesDep) -> Principal:
    """The signed-in support principal; otherwise a redirect (303) to the sign-in page."""
    return SUPPORT.require(request, services.tokens)


get_staff.permission = Permission.support_cases  # type: ignore[attr-defined]
StaffDep = Annotated[Principal, Depends(get_staff)]


def get_desk(services: ServicesDep) -> SupportDesk:
    """The support desk, in-process: the JSON API's support routes call the same one."""
    return services.support


DeskDep = Annotated[SupportDesk, Depends(get_desk)]

CsrfChecked = SUPPORT.csrf_checked()


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
    """The console's problem page (`Audience.problem`)."""
    return SUPPORT.problem(request, pages, staff, status, title, message)
