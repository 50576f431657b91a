"""Maps OneStop's errors to HTTP responses, in one place: `{"detail": ..., "field"?: ...}`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from orchestrator.errors import (
    CaseNotFound,
    CaseStateError,
    DefinitionError,
    Forbidden,
    IdempotencyConflict,
    InputError,
    OneStopError,
    Unauthenticated,
    UnknownLifeEvent,
)

_STATUS: list[tuple[type[OneStopError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (CaseNotFound, 404),
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


def install(app: FastAPI) -> None:
    app.add_exception_handler(OneStopError, _handle)
