"""Maps OneStop's errors to HTTP responses, in one place: `{"detail": ..., "field"?: ...}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure

from orchestrator.errors import (
    CaseNotFound,
    CaseStateError,
    DefinitionError,
    Forbidden,
    IdempotencyConflict,
    InputError,
    OneStopError,
    Unauthenticated,
    Unavailable,
    UnknownLifeEvent,
)

_STATUS: list[tuple[type[OneStopError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (CaseNotFound, 404),
    (Unavailable, 503),
    (IdempotencyConflict, 409),
    (CaseStateError, 409),
    (UnknownLifeEvent, 422),
    (InputError, 422),
    (DefinitionError, 422),
]


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OneStopError)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    body: dict[str, object] = {"detail": str(exc)}
    if isinstance(exc, InputError):
        body["field"] = exc.field
    elif isinstance(exc, UnknownLifeEvent):
        body["field"] = "type"
    elif isinstance(exc, DefinitionError):
        body["problems"] = exc.problems
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


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


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own request validation, in the documented `{"detail", "field"}` shape."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(e), "message": _message(e)} for e in exc.errors()]
    if not errors:
        errors = [{"field": "body", "message": "invalid request"}]
    body = {"detail": errors[0]["message"], "field": errors[0]["field"], "errors": errors}
    return JSONResponse(body, status_code=422)


async def _handle_database_down(request: Request, exc: Exception) -> JSONResponse:
    """MongoDB unreachable: a quick 503 to retry (nothing was accepted), never a 500 or a hang."""
    return JSONResponse(
        {"detail": "the case database is unavailable: retry (with the same Idempotency-Key)"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ConnectionFailure, _handle_database_down)
    app.add_exception_handler(OneStopError, _handle)
    app.add_exception_handler(RequestValidationError, _handle_validation)
