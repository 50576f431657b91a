"""CSRF tokens for every form that POSTs: a signed double submit.

The browser holds a random nonce in an HttpOnly cookie; each form carries an HMAC of that nonce
under a key derived from the server's secret. A POST passes only when the form's token is the
HMAC of the cookie it arrived with: another site can neither read the cookie nor, without the
key, forge a token for a nonce it planted. The session cookie's SameSite=Strict is the first
line; this is the second, and it covers the sign-in form, which has no session yet.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from api.pages.cookies import set_cookie

FIELD = "csrf_token"


class Csrf:
    def __init__(self, secret: str, cookie: str, path: str) -> None:
        self._key = hmac.new(secret.encode(), b"onestop pages csrf", hashlib.sha256).digest()
        self.cookie = cookie
        self.path = path

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    def token(self, request: Request) -> tuple[str, str | None]:
        """The token a form should carry, and a new nonce to set when the browser has none."""
        nonce = request.cookies.get(self.cookie)
        if nonce:
            return self._sign(nonce), None
        fresh = secrets.token_urlsafe(32)
        return self._sign(fresh), fresh

    def remember(self, request: Request, response: Response, nonce: str | None) -> None:
        if nonce is not None:
            set_cookie(request, response, self.cookie, nonce, self.path)

    def valid(self, request: Request, token: str | None) -> bool:
        nonce = request.cookies.get(self.cookie)
        if not nonce or not token:
            return False
        return hmac.compare_digest(self._sign(nonce), token)
