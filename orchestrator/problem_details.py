"""RFC 9457 problem details: the one shape of every error body OneStop's HTTP servers send.

`type` names the kind of problem (`urn:onestop:problem:<kind>`), `title` says it in words,
`status` repeats the HTTP status, `detail` explains this occurrence. Extensions: `field` (the
first bad field) and `errors` (every bad field, each with its path and message) for input
problems, `problems` for an invalid definition, `request_id` for a 500. No value a caller sent is
ever echoed: it may be a citizen's personal data.

The shape lives here, without a web framework, so the API (`api/problems.py`) and the agency
simulators (`activities/simulator_auth.py`) answer alike without one importing the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field

MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(description="where: `body.data.move_date`, `query.limit`, `header.Idempotency-Key`")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with OneStop's extensions."""

    type: str = Field(description="urn:onestop:problem:<kind>")
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="the first bad field, for input problems")
    errors: list[FieldProblem] | None = Field(default=None, description="every bad field")
    problems: list[str] | None = Field(default=None, description="every problem of a definition")
    request_id: str | None = None


_STATUS_KINDS = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found"}
_STATUS_KINDS |= {405: "method-not-allowed", 411: "length-required", 413: "too-large"}
_STATUS_KINDS |= {415: "unsupported-media-type", 500: "internal", 503: "unavailable"}


def problem_body(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldProblem] = (),
    **extensions: Any,
) -> dict[str, Any]:
    """The JSON body of a problem; `kind` defaults to the usual one for `status`."""
    body = Problem(
        type=f"urn:onestop:problem:{kind or _STATUS_KINDS.get(status, 'error')}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        field=errors[0].field if errors else None,
        errors=list(errors) or None,
        **extensions,
    )
    return body.model_dump(exclude_none=True)
