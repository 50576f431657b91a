"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc` (ReDoc), from OneStop's own
`/assets`.

FastAPI's default pages load both from a CDN (and ReDoc its fonts from Google), so they render
blank without internet and tell a third party who reads the docs. Here the bundles come from the
npm packages `package.json` pins, copied into `api/static/` by `make` (see `api/pages/assets.py`),
and the pages name no other host. Swagger UI's online validator is off too: by default it
sends the document's address to an outside service, showing a badge wherever the API is not on
loopback.

The pages are public (`orchestrator.permissions.PUBLIC`) and kept out of the OpenAPI schema.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from api.pages.assets import ASSETS_PATH

SWAGGER_UI_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"

SWAGGER_JS = f"{ASSETS_PATH}/swagger-ui-bundle.js"
SWAGGER_CSS = f"{ASSETS_PATH}/swagger-ui.css"
REDOC_JS = f"{ASSETS_PATH}/redoc.standalone.js"
FAVICON = f"{ASSETS_PATH}/api-docs-favicon.png"


def install(app: FastAPI) -> None:
    """Serve the pages; the app must be created with `docs_url=None, redoc_url=None` so that
    FastAPI's own CDN-bound pages do not take these paths first."""
    title = app.title
    openapi_path = app.openapi_url or "/openapi.json"

    def _root(request: Request) -> str:
        """The prefix a proxy mounted the app under, as FastAPI's own pages honour it."""
        root: str = request.scope.get("root_path", "")
        return root.rstrip("/")

    @app.get(SWAGGER_UI_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_path,
            title=f"{title} - Swagger UI",
            swagger_js_url=root + SWAGGER_JS,
            swagger_css_url=root + SWAGGER_CSS,
            swagger_favicon_url=root + FAVICON,
            oauth2_redirect_url=root + OAUTH2_REDIRECT_PATH,
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + openapi_path,
            title=f"{title} - ReDoc",
            redoc_js_url=root + REDOC_JS,
            redoc_favicon_url=root + FAVICON,
            with_google_fonts=False,
        )
