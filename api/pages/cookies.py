"""How the pages set cookies: HttpOnly, SameSite=Strict, scoped to one audience's path, and
Secure everywhere except plain HTTP on loopback (`make run` on a laptop), where a Secure cookie
would never come back."""

from __future__ import annotations

import ipaddress

from fastapi import Request, Response


def is_secure(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a named host behind a TLS proxy: the browser talks HTTPS to it


def set_cookie(request: Request, response: Response, name: str, value: str, path: str) -> None:
    response.set_cookie(name, value, path=path, httponly=True, samesite="strict", secure=is_secure(request))


def clear_cookie(request: Request, response: Response, name: str, path: str) -> None:
    response.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=is_secure(request))
