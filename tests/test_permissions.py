"""The authorization matrix holds for every route the app serves: each route names a permission
(or is public on purpose), and every role outside a permission's row gets 403 on its routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from api.app import create_app
from orchestrator.auth import Role
from orchestrator.permissions import MATRIX, PUBLIC, Permission
from orchestrator.settings import Settings
from tests.conftest import TokenFactory

PAGES = {"support": ("onestop_support", "/support/sign-in"), "": ("onestop_citizen", "/sign-in")}
"""Page routes by their first path segment (any other is the portal's): session cookie, sign-in."""


def _routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, through the routers FastAPI nests (`_IncludedRouter` keeps the original)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _routes(nested.routes)
        else:
            yield route


def _permission(dependant: Dependant) -> Permission | None:
    for dependency in dependant.dependencies:
        found = getattr(dependency.call, "permission", None) or _permission(dependency)
        if found is not None:
            return found
    return None


def _matrix(app: FastAPI) -> tuple[dict[tuple[str, str], Permission], list[str]]:
    ruled: dict[tuple[str, str], Permission] = {}
    unruled: list[str] = []
    for route in _routes(app.router.routes):
        path = getattr(route, "path", "?")
        if isinstance(route, APIRoute):
            permission = _permission(route.dependant)
            for method in route.methods or ():
                if permission is not None:
                    ruled[(method, path)] = permission
                elif path not in PUBLIC:
                    unruled.append(f"{method} {path}")
        elif isinstance(route, Mount) and path.startswith("/assets"):
            continue  # static files of the web pages: public on purpose
        elif path not in PUBLIC:
            unruled.append(path)
    return ruled, unruled


def test_every_route_has_an_explicit_rule(settings: Settings) -> None:
    ruled, unruled = _matrix(create_app(settings))
    assert unruled == [], f"routes with no permission and not public: {unruled}"
    assert set(ruled.values()) == set(Permission), "a permission no route uses, or the reverse"


async def test_every_role_outside_a_permission_gets_403(
    stack: Settings, http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    ruled, _ = _matrix(create_app(stack))
    tokens = {
        Role.citizen: auth("citizen"),
        Role.agency: auth("agency", "officer", agency="tax_office"),
        Role.designer: auth("designer", "designer-1"),
        Role.support: auth("support", "agent-1"),
    }
    checked = 0
    for (method, path), permission in sorted(ruled.items()):
        url = path.replace("{", "").replace("}", "")  # any value: the role is refused before the object
        # The pages (the console's, the portal's) hold the token in a session cookie and send
        # anyone else to sign in; their forms refuse a post without its CSRF token first.
        page = PAGES.get(path.split("/")[1], PAGES[""]) if not path.startswith("/v1/") else None
        for role, headers in tokens.items():
            if role in MATRIX[permission]:
                continue
            body: Any = {"reason": "x"} if method == "POST" else None
            if page is not None:
                cookie_name, sign_in = page
                cookie = {"Cookie": f"{cookie_name}={headers['Authorization'].removeprefix('Bearer ')}"}
                response = await http.request(method, url, data=body, headers=cookie)
                assert response.status_code in (303, 403), (method, path, role, response.status_code)
                assert response.status_code == 403 or response.headers["location"].startswith(sign_in)
            else:
                response = await http.request(method, url, json=body, headers=headers)
                assert response.status_code == 403, (method, path, role, response.status_code, response.text)
            checked += 1
        unauthenticated = await http.request(method, url, json={"reason": "x"} if method == "POST" else None)
        assert unauthenticated.status_code == (303 if page and method == "GET" else 403 if page else 401), (
            method,
            path,
            unauthenticated.status_code,
        )
    assert checked > 40
