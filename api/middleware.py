"""Per-request log context: every log line of a request carries its request id, and the
response returns it (`X-Request-ID`) so a citizen's support call can be traced.

Also the request's outer bounds: bodies over a size limit are refused before any route reads
them, and an exception no route handled becomes a logged 500 that leaks nothing."""

from __future__ import annotations

import uuid

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def _refuse_body(headers: Headers, path: str) -> JSONResponse | None:
    """The server reads exactly Content-Length bytes, so the header alone bounds the body. A
    chunked body has no length up front: it is refused (411) rather than counted as it streams."""
    if "transfer-encoding" in headers:
        return problem(411, "Content-Length required: chunked request bodies are not accepted")
    declared = headers.get("content-length")
    if declared is None:
        return None
    if not declared.isdigit():
        return problem(400, "invalid Content-Length")
    limit = _body_limit(path)
    if int(declared) > limit:
        return problem(413, f"request body over {limit} bytes")
    return None


class RequestBounds:
    """A plain ASGI middleware, not `@app.middleware("http")`: Starlette's `BaseHTTPMiddleware`
    runs the route in a task of its own and streams its response through a memory channel, a
    cost every request paid on the API's one event loop (`onestop bench --api-load`)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = (headers.get("x-request-id") or uuid.uuid4().hex)[:64]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        refused = _refuse_body(headers, scope["path"])
        if refused is not None:
            refused.headers["X-Request-ID"] = request_id
            await refused(scope, receive, send)
            return
        status = 0

        async def send_marked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                marked = MutableHeaders(scope=message)
                marked["X-Request-ID"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    marked[name] = value
            await send(message)

        try:
            await self._app(scope, receive, send_marked)
        except Exception:
            # Logged here, once, with the traceback; the client gets only the id to quote.
            log.exception("request_failed", method=scope["method"], path=scope["path"], status=500)
            if status:  # the answer had begun: the connection is all that can still be ended
                raise
            failed = problem(500, "internal error", request_id=request_id)
            failed.headers["X-Request-ID"] = request_id
            await failed(scope, receive, send)
            return
        if status >= 500:
            log.error("request_failed", method=scope["method"], path=scope["path"], status=status)


def install(app: FastAPI) -> None:
    app.add_middleware(RequestBounds)
