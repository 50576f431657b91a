"""One audience's pages (support staff under `/support`, citizens at `/`): where they live, the
role their session cookie holds, their CSRF cookie, their template folder, and the way they send
a browser without a session to sign in and answer a refused form or a problem with a page.

Each audience's routes declare the same few dependencies from it, so the console and the portal
share one session, CSRF and rendering path and differ only in what their `Audience` says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.csrf import FIELD, Csrf
from api.pages.rendering import Pages
from api.pages.session import SessionCookie
from api.services import Services
from orchestrator.auth import Principal, TokenVerifier
from orchestrator.errors import Forbidden, Unauthenticated

_LOCAL_PATH = re.compile(r"/[A-Za-z0-9/_.~%:=&?+-]*")


class FormRefused(Exception):
    """A POST whose form does not carry the token its CSRF cookie signs; the handler `install`
    adds answers it with the audience's problem page (403)."""

    def __init__(self, audience: Audience) -> None:
        self.audience = audience
        super().__init__(
            "This form expired or came from another site. Go back, reload the page and try again."
        )


@dataclass(frozen=True)
class Audience:
    path: str
    """The pages' prefix: `/support`, or `""` for pages at the root."""
    session: SessionCookie
    csrf_cookie: str
    templates: str
    """The folder under `api/pages/templates` holding this audience's `problem.html`."""
    person: str
    """The template variable naming who is signed in (`staff`, `citizen`)."""

    def pages(self, secret: str) -> Pages:
        return Pages(Csrf(secret, self.csrf_cookie, self.path or "/"))

    def sign_in_url(self, next_path: str | None = None) -> str:
        url = f"{self.path}/sign-in"
        return f"{url}?next={quote(next_path, safe='/')}" if next_path else url

    def safe_next(self, path: str, home: str) -> str:
        """Where to go after signing in: only a page of this audience, never another site (no
        `//host`, backslash, control character or anything but a plain path and query)."""
        if _LOCAL_PATH.fullmatch(path) and path.startswith(f"{self.path}/") and not path.startswith("//"):
            return path
        return home

    def refusal(self, token: str, tokens: TokenVerifier) -> tuple[int, str] | None:
        """Why a token pasted into the sign-in form is refused (its status and words), or None."""
        if not token.strip():
            return 400, f"Enter a {self.session.role.value} token"
        try:
            self.session.verify(token, tokens)
        except Unauthenticated as exc:
            return 401, f"The token was not accepted: {exc}"
        except Forbidden as exc:
            return 403, f"The token was not accepted: {exc}"
        return None

    def signed_in(self, request: Request, tokens: TokenVerifier) -> Principal | None:
        return self.session.principal(request, tokens)

    def require(self, request: Request, tokens: TokenVerifier) -> Principal:
        """The signed-in principal; otherwise a redirect (303) to the sign-in page, back here after."""
        principal = self.signed_in(request, tokens)
        if principal is None:
            raise HTTPException(
                303, "sign in first", headers={"Location": self.sign_in_url(request.url.path)}
            )
        return principal

    async def check_csrf(self, request: Request, pages: Pages) -> None:
        form = await request.form()
        token = form.get(FIELD)
        if not pages.csrf.valid(request, token if isinstance(token, str) else None):
            raise FormRefused(self)

    def csrf_checked(self) -> Any:
        """A route dependency: the form's CSRF token, checked before anything else of the route."""

        async def check(request: Request) -> None:
            services: Services = request.app.state.services
            await self.check_csrf(request, self.pages(services.settings.jwt_secret))

        return Depends(check)

    def problem(
        self,
        request: Request,
        pages: Pages,
        person: Principal | None,
        status: int,
        title: str,
        message: str,
        **context: object,
    ) -> HTMLResponse:
        """A page saying what went wrong and what to do: a case that does not exist, a service
        that did not answer (retry), a form from another site."""
        page: dict[str, object] = {"title": title, "message": message, self.person: person, "errors": []}
        return pages.render(
            request, f"{self.templates}/problem.html", {**page, **context}, status_code=status
        )


def given(values: Iterable[tuple[str, object]]) -> dict[str, str]:
    """A form's non-empty text fields, stripped: HTML forms send every field, and an empty one
    means "not given" (the pages have no file uploads)."""
    return {key: value.strip() for key, value in values if isinstance(value, str) and value.strip()}


async def _form_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FormRefused)
    services: Services = request.app.state.services
    audience = exc.audience
    person = audience.signed_in(request, services.tokens)
    pages = audience.pages(services.settings.jwt_secret)
    return audience.problem(request, pages, person, 403, "The form was not accepted", str(exc))


def install(app: FastAPI) -> None:
    """Every audience's refused forms, answered by one handler."""
    app.add_exception_handler(FormRefused, _form_refused)
