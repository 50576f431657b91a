"""Per-request log context: every log line of a request carries its request id, and the
response returns it (`X-Request-ID`) so a citizen's support call can be traced."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response

log = structlog.get_logger(__name__)


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def bind_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id[:64])
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id[:64]
        if response.status_code >= 500:
            log.error(
                "request_failed", method=request.method, path=request.url.path, status=response.status_code
            )
        return response
