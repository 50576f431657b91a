"""One Jinja2 environment for every page: our templates, then GOV.UK Frontend's macros as
ported to Jinja by `govuk-frontend-jinja` (under the `govuk_frontend_jinja/` prefix its own
templates use), with HTML autoescaping on.

Pages render Pydantic models handed to them by routes; nothing here reads a store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from api.pages.assets import ASSETS_PATH
from api.pages.csrf import FIELD, Csrf

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def when(value: datetime | None) -> str:
    """A time as staff read it across time zones: UTC, to the second."""
    if value is None:
        return ""
    if value.tzinfo is None:  # MongoDB hands back naive UTC unless asked for aware times
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def select_items(values: list[str], selected: str, blank: str | None = None) -> list[dict[str, object]]:
    """A GOV.UK select's items: the values as people read them, one selected, an optional blank."""
    items: list[dict[str, object]] = [{"value": "", "text": blank}] if blank is not None else []
    items += [{"value": v, "text": v.replace("_", " "), "selected": v == selected} for v in values]
    return items


def stacked(
    head: list[dict[str, object]], rows: list[list[dict[str, object]]]
) -> list[list[dict[str, object]]]:
    """A table's rows with each cell labelled by its column (`data-label`), so the CSS can stack
    a row's cells under their labels on a phone instead of scrolling sideways."""
    return [
        [
            {**cell, "attributes": {**_attributes(cell), "data-label": str(column.get("text", ""))}}
            for cell, column in zip(row, head, strict=False)
        ]
        for row in rows
    ]


def _attributes(cell: dict[str, object]) -> dict[str, object]:
    attributes = cell.get("attributes")
    return dict(attributes) if isinstance(attributes, dict) else {}


def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.globals["select_items"] = select_items
    env.globals["stacked"] = stacked
    return env


templates = Jinja2Templates(env=environment())


class Pages:
    """Renders a page with what every page needs: the form's CSRF token (setting the browser's
    nonce cookie the first time) and where the assets are."""

    def __init__(self, csrf: Csrf) -> None:
        self.csrf = csrf

    def render(
        self, request: Request, name: str, context: Mapping[str, object], status_code: int = 200
    ) -> HTMLResponse:
        token, nonce = self.csrf.token(request)
        page = {**context, "csrf_field": FIELD, "csrf_token": token, "assetPath": ASSETS_PATH}
        response = templates.TemplateResponse(request, name, page, status_code=status_code)
        self.csrf.remember(request, response, nonce)
        return response
