"""A signed-in page session: the person's bearer token, kept in an HttpOnly cookie scoped to
their pages, and checked on every request exactly as the JSON API checks a bearer token (same
verifier, same rules), plus the role those pages are for.

The token is the session: nothing is stored server-side, signing out clears the cookie, and the
token's own `exp` ends the session.
"""

from __future__ import annotations

from fastapi import Request, Response

from api.pages.cookies import clear_cookie, set_cookie
from orchestrator.auth import Principal, Role, TokenVerifier
from orchestrator.errors import Forbidden, OneStopError


class SessionCookie:
    def __init__(self, name: str, path: str, role: Role) -> None:
        self.name = name
        self.path = path
        self.role = role

    def verify(self, token: str, tokens: TokenVerifier) -> Principal:
        """The token's principal, or Unauthenticated / Forbidden saying why not."""
        principal = tokens.verify(token.strip())
        if principal.role is not self.role:
            raise Forbidden(
                f"this is a {principal.role.value} token: these pages need a {self.role.value} token"
            )
        return principal

    def principal(self, request: Request, tokens: TokenVerifier) -> Principal | None:
        """Who is signed in, or None (no cookie, an expired or forged token, another role)."""
        token = request.cookies.get(self.name)
        if not token:
            return None
        try:
            return self.verify(token, tokens)
        except OneStopError:
            return None

    def start(self, request: Request, response: Response, token: str) -> None:
        set_cookie(request, response, self.name, token.strip(), self.path)

    def end(self, request: Request, response: Response) -> None:
        clear_cookie(request, response, self.name, self.path)
