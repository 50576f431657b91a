"""Every error response of the API, shaped in one place: RFC 9457 problem details
(`application/problem+json`, the shape `orchestrator/problem_details.py` defines).

The middleware (bodies too large, chunked, a 500) and the routes' exceptions all come through
`problem`; `PROBLEM_RESPONSES` declares the same shape in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

from orchestrator.errors import (
    CaseNotFound,
    CaseStateError,
    ConsentMissing,
    DefinitionError,
    Forbidden,
    IdempotencyConflict,
    InputError,
    NotFound,
    OneStopError,
    RateLimited,
    Unauthenticated,
    Unavailable,
    UnknownLifeEvent,
)
from orchestrator.problem_details import MEDIA_TYPE, FieldProblem, Problem, problem_body

_KINDS: list[tuple[type[OneStopError], int, str]] = [
    (Unauthenticated, 401, "unauthenticated"),
    (ConsentMissing, 403, "consent-missing"),
    (Forbidden, 403, "forbidden"),
    (CaseNotFound, 404, "not-found"),
    (NotFound, 404, "not-found"),
    (Unavailable, 503, "unavailable"),
    (IdempotencyConflict, 409, "idempotency-conflict"),
    (CaseStateError, 409, "case-state"),
    (RateLimited, 429, "rate-limited"),
    (UnknownLifeEvent, 422, "invalid-input"),
    (InputError, 422, "invalid-input"),
    (DefinitionError, 422, "invalid-definition"),
]


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, kind=kind, errors=errors, **extensions),
        status_code=status,
        headers=dict(headers or {}),
        media_type=MEDIA_TYPE,
    )


async def _handle(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OneStopError)
    status, kind = next(((code, k) for cls, code, k in _KINDS if isinstance(exc, cls)), (500, "internal"))
    errors: list[FieldProblem] = []
    extensions: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, InputError):
        errors = [FieldProblem(field=field, message=message) for field, message in exc.errors]
    elif isinstance(exc, UnknownLifeEvent):
        errors = [FieldProblem(field="type", message=str(exc))]
    elif isinstance(exc, DefinitionError):
        extensions["problems"] = exc.problems
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unavailable):
        headers["Retry-After"] = "1"
    return problem(status, str(exc), kind=kind, errors=errors, headers=headers, **extensions)


def _field(error: Mapping[str, object]) -> str:
    """`loc` joined by dots (`body.data`, `header.Idempotency-Key`); a JSON syntax error's loc ends
    in a character offset, which names no field, so it is reported as the body itself."""
    loc = error.get("loc")
    parts = [str(p) for p in loc] if isinstance(loc, Sequence) and not isinstance(loc, str) else []
    if error.get("type") == "json_invalid":
        parts = parts[:1]
    return ".".join(parts) or "body"


def _message(error: Mapping[str, object]) -> str:
    """pydantic's `msg`, plus the parser's reason for bad JSON; never `input`, which may hold the
    citizen's personal data."""
    message = str(error.get("msg", "invalid value"))
    ctx = error.get("ctx")
    if error.get("type") == "json_invalid" and isinstance(ctx, Mapping) and ctx.get("error"):
        message = f"{message}: {ctx['error']}"
    return message


async def _handle_validation(request: Request, exc: Exception) -> Response:
    """FastAPI's own request validation: every bad field listed, in the one shape."""
    assert isinstance(exc, RequestValidationError)
    errors = [FieldProblem(field=_field(e), message=_message(e)) for e in exc.errors()]
    errors = errors or [FieldProblem(field="body", message="invalid request")]
    return problem(422, errors[0].message, kind="invalid-input", errors=errors)


async def _handle_http(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, method not allowed); a redirect passes through."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem(exc.status_code, detail, headers=exc.headers)


async def _handle_database_down(request: Request, exc: Exception) -> Response:
    """MongoDB unreachable: a quick 503 to retry (nothing was accepted), never a 500 or a hang."""
    return problem(
        503,
        "the case database is unavailable: retry (with the same Idempotency-Key)",
        headers={"Retry-After": "5"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ConnectionFailure, _handle_database_down)
    app.add_exception_handler(OneStopError, _handle)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer, each a problem document."""
    return {s: {"model": Problem, "description": HTTPStatus(s).phrase} for s in statuses}


def as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses in the OpenAPI document carry the media type they are sent with."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(status)[0] in "45" and "application/json" in content:
                    content[MEDIA_TYPE] = content.pop("application/json")
    return schema
