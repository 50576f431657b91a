"""The portal's routes at the root, hidden from the OpenAPI schema (they are pages, not the API),
and the page that answers a refusal of the API no page handles itself."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from api.pages import audience
from api.portal import (
    case_page,
    consents,
    data_uses,
    deps,
    follow_ups,
    my_cases,
    offers,
    profile,
    sign_in,
    start,
)

router = APIRouter(include_in_schema=False)
for module in (sign_in, start, my_cases, case_page, offers, data_uses, consents, follow_ups, profile):
    router.include_router(module.router)


def install(app: FastAPI) -> None:
    app.include_router(router)
    audience.install(app)
    deps.install(app)
