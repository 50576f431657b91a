"""Per-request log context: every log line of a request carries its request id, and the
response returns it (`X-Request-ID`) so a citizen's support call can be traced.

Also the request's outer bounds: bodies over a size limit are refused before any route reads
them, and an exception no route handled becomes a logged 500 that leaks nothing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from api.problems import problem

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 64 * 1024
"""A life event or a step's answer is a few hundred bytes; this bounds what a route may buffer."""

MAX_DEFINITION_BYTES = 256 * 1024
"""`POST /v1/catalog:validate` takes a whole life-event definition, YAML with comments."""


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",  # a JSON body is never run as a script or a page
    "Content-Security-Policy": "frame-ancestors 'none'",  # no page of OneStop inside another's frame
    "X-Frame-Options": "DENY",  # the same, for browsers without CSP level 2
    "Referrer-Policy": "no-referrer",  # case ids in URLs stay out of other sites' logs
}


def _body_limit(path: str) -> int:
    return MAX_DEFINITION_BYTES if path.endswith(":validate") else MAX_BODY_BYTES


def _refuse_body(request: Request) -> JSONResponse | None:
    """The server reads exactly Content-Length bytes, so the header alone bounds the body. A
    chunked body has no length up front: it is refused (411) rather than counted as it streams."""
    if "transfer-encoding" in request.headers:
        return problem(411, "Content-Length required: chunked request bodies are not accepted")
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not declared.isdigit():
        return problem(400, "invalid Content-Length")
    limit = _body_limit(request.url.path)
    if int(declared) > limit:
        return problem(413, f"request body over {limit} bytes")
    return None


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def bind_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = (request.headers.get("x-request-id") or uuid.uuid4().hex)[:64]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        refused = _refuse_body(request)
        if refused is not None:
            refused.headers["X-Request-ID"] = request_id
            return refused
        try:
            response = await call_next(request)
        except Exception:
            # Logged here, once, with the traceback; the client gets only the id to quote.
            log.exception("request_failed", method=request.method, path=request.url.path, status=500)
            failed = problem(500, "internal error", request_id=request_id)
            failed.headers["X-Request-ID"] = request_id
            return failed
        response.headers["X-Request-ID"] = request_id
        response.headers.update(SECURITY_HEADERS)
        if response.status_code >= 500:
            log.error(
                "request_failed", method=request.method, path=request.url.path, status=response.status_code
            )
        return response
