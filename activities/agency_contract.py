"""The HTTP contract an agency implements for OneStop's connector (`hosting: connector`), as an
OpenAPI 3.1 document.

Built from what the connector itself uses, the request and reply models and the idempotency
header of `activities/agency_client.py` and the reply table of `activities/agency_replies.py`, so
the document cannot drift from what OneStop does. Each response carries `x-onestop-outcome` (and
`x-onestop-codes` where a reason code changes it): the outcome the connector gives that answer,
which a program can read as well as a person.

The API serves it at `GET /v1/agency/contract/openapi.json`; `onestop agency contract` writes it;
`docs/agency-contract.openapi.json` is a copy a test keeps equal to it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from activities.agency_client import IDEMPOTENCY_HEADER, AgencyReply, AgencyRequest
from activities.agency_replies import NO_ANSWER, REASON_CODE, REPLIES, Outcome, ReplyRule

OUTCOME = "x-onestop-outcome"
CODES = "x-onestop-codes"


class Refusal(BaseModel):
    """An agency's refusal: a reason code OneStop keeps, and words it does not (they may echo the
    personal data the agency was sent, and a reason code enters Temporal)."""

    code: str = Field(pattern=REASON_CODE, description="the reason, e.g. address_outside_district")
    message: str = Field(default="", description="for the agency's own logs; OneStop drops it")


class WrappedRefusal(BaseModel):
    """The same refusal as FastAPI's `HTTPException(status, {"code": ...})` sends it."""

    detail: Refusal


_REF = "#/components/schemas/{model}"
_DESCRIPTION = f"""\
What an agency implements so that OneStop's worker can call it (`hosting: connector` in
agencies.yaml, at the agency's `base_url`). Every call is a POST of an AgencyRequest to one of the
agency's actions, with an `{IDEMPOTENCY_HEADER}` header that stays the same for every attempt at one
step: act once per key, and answer a repeat with the first record. An undo is a POST to the action
that compensates it (agencies.yaml lists it beside the others) with `compensates` set to the key of
the action undone and the key `<that key>:compensate`: it must be idempotent too.

How OneStop reads each answer is in every response's `{OUTCOME}`: `done`; `rejected` (final,
never retried: the case rolls back); `retry` (retried durably for the agency's `retry_for_hours`,
then held for support); `misconfigured` (held for support at once). No answer within
ONESTOP_AGENCY_TIMEOUT_SECONDS (10 s by default), or a refused connection, is `{NO_ANSWER.value}`.

While calls fail, OneStop stops calling the agency and probes its health route instead, once per
interval for all cases; when it answers, the waiting cases resume.
"""


def _response(rule: ReplyRule) -> dict[str, Any]:
    if rule.outcome is Outcome.done:
        schema: dict[str, Any] = {"$ref": _REF.format(model="AgencyReply")}
    else:
        schema = {"anyOf": [{"$ref": _REF.format(model=m)} for m in ("Refusal", "WrappedRefusal")]}
    response: dict[str, Any] = {
        "description": rule.meaning,
        "content": {"application/json": {"schema": schema}},
        OUTCOME: rule.outcome.value,
    }
    if rule.codes:
        response[CODES] = {code: outcome.value for code, outcome in rule.codes.items()}
    if rule.status == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": False}}
    return response


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def contract_document() -> dict[str, Any]:
    """The OpenAPI document of the agency contract (JSON-ready)."""
    _, defs = models_json_schema(
        [
            (AgencyRequest, "validation"),
            (AgencyReply, "validation"),
            (Refusal, "validation"),
            (WrappedRefusal, "validation"),
        ],
        ref_template=_REF,
    )
    agency = _path_parameter("agency", "the agency, as agencies.yaml names it")
    action = {
        "operationId": "act",
        "summary": "Perform an action, or undo one, once per Idempotency-Key",
        "parameters": [
            agency,
            _path_parameter("action", "an action of the agency in agencies.yaml (or its compensation)"),
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string", "maxLength": 300},
                "description": "`<case_id>:<step_id>` (`:r<n>` for a review's n-th resubmission; "
                "`:compensate` appended for its undo): the same for every attempt",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model="AgencyRequest")}}},
        },
        "responses": {rule.status: _response(rule) for rule in REPLIES},
    }
    health = {
        "operationId": "health",
        "summary": "Whether the agency serves (probed while it is taken for down)",
        "parameters": [agency],
        "responses": {
            "2XX": {"description": "serving", OUTCOME: "serving"},
            "4XX": {
                "description": "serving: any answer but a 5xx says the agency is back",
                OUTCOME: "serving",
            },
            "5XX": {"description": "down: the waiting cases keep waiting", OUTCOME: "down"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "OneStop agency contract", "version": "1", "description": _DESCRIPTION},
        "servers": [{"url": "{base_url}", "variables": {"base_url": {"default": "https://agency.example"}}}],
        "security": [{"onestop": []}],
        "paths": {
            "/agencies/{agency}/actions/{action}": {"post": action},
            "/agencies/{agency}/health": {"get": health},
        },
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {
                "onestop": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "a short-lived token OneStop's worker signs for the one agency "
                    "called: subject `onestop-worker`, role `agency`, and an `agency` claim naming "
                    "the agency (so it cannot be replayed at another); verify it with the key you "
                    "share with OneStop",
                }
            },
        },
    }
