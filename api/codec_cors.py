"""CORS for the payload codec only: the Temporal UI calls `/v1/codec/...` from its own origin.

Starlette's CORS middleware applies to a whole app; every other route (the JSON API, the
console) must not answer cross-origin requests with credentials, so this sends only codec
requests through it.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CODEC_PREFIX = "/v1/codec/"


class CodecCors:
    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        codec = scope["type"] == "http" and str(scope["path"]).startswith(CODEC_PREFIX)
        await (self._cors if codec else self._app)(scope, receive, send)
