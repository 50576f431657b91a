"""The pages' CSS and JS, served by the API itself at `/assets` (no CDN at run time).

`make` builds them into `api/static/` from the npm packages `package.json` pins (see the
Makefile's assets rule). The mount does not insist the folder exists, so the JSON API runs even
where the assets were never built; the pages then render unstyled.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).resolve().parent.parent / "static"
ASSETS_PATH = "/assets"


def install(app: FastAPI) -> None:
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR, check_dir=False), name="assets")
