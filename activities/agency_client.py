"""Calls agencies over HTTP with an idempotency key, sorting their answers as the reply table
says (`activities/agency_replies.py`): transient trouble (timeouts, refused connections, 5xx, 408,
429) retries with the step's backoff, any other 4xx is the agency's decision and is final, and an
unknown action is a configuration error. The OpenAPI document agencies implement is built from the
same table and these models (`activities/agency_contract.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, Field, JsonValue

from activities.agency_credentials import AgencyCredentials
from activities.agency_replies import Outcome, classify, reason_code, serving
from orchestrator.errors import AgencyError

IDEMPOTENCY_HEADER = "Idempotency-Key"


class AgencyRequest(BaseModel):
    """What OneStop posts to an agency's action (or to the action that undoes one)."""

    case_id: str = Field(description="OneStop's case")
    step_id: str = Field(description="the case's step this call performs")
    subject: str = Field(description="the citizen's id at the agency")
    fields: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="the step's declared fields, within the action's `accepts` in agencies.yaml",
    )
    compensates: str | None = Field(
        default=None, description="in an undo: the Idempotency-Key of the action it undoes"
    )
    instance: str | None = Field(default=None, description="the office addressed, when split by jurisdiction")


class AgencyReply(BaseModel):
    """What an agency answers with a 2xx."""

    reference: str = Field(description="the agency's record: the same for a repeated Idempotency-Key")
    status: str = Field(default="done", description="`done`, or `duplicate` for a repeated key")
    output: dict[str, JsonValue] = Field(
        default_factory=dict, description="non-personal reply keys (agencies.yaml `returns`)"
    )


def agency_reference(agency: str, key: str) -> str:
    """The record reference a simulated agency gives: the same for the same idempotency key."""
    return f"{agency[:3].upper()}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


class AgencyPort(Protocol):
    """How a step reaches an agency: over HTTP in production, in-process in benchmarks."""

    async def call(self, agency: str, action: str, key: str, request: AgencyRequest) -> AgencyReply: ...


class AgencyClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: Callable[[str, str | None], str | None],
        default_base_url: str,
        credentials: AgencyCredentials,
    ) -> None:
        """`base_url(agency, instance)`: the endpoint the live directory names, if any."""
        self._http = http
        self._credentials = credentials
        self._base_url = base_url
        self._default = default_base_url

    def _base(self, agency: str, instance: str | None) -> str:
        return (self._base_url(agency, instance) or self._default).rstrip("/")

    def url(self, agency: str, action: str, instance: str | None = None) -> str:
        return f"{self._base(agency, instance)}/agencies/{agency}/actions/{action}"

    async def call(self, agency: str, action: str, key: str, request: AgencyRequest) -> AgencyReply:
        try:
            response = await self._http.post(
                self.url(agency, action, request.instance),
                json=request.model_dump(mode="json"),
                headers={IDEMPOTENCY_HEADER: key, "Authorization": self._credentials.authorization(agency)},
            )
        except httpx.TimeoutException as exc:
            raise AgencyError(agency, 0, "timeout", retryable=True) from exc
        except httpx.TransportError as exc:
            raise AgencyError(agency, 0, "unreachable", retryable=True) from exc
        if response.is_success:
            try:
                return AgencyReply.model_validate_json(response.content)
            except ValueError:
                raise AgencyError(agency, response.status_code, "malformed_reply", retryable=True) from None
        status = response.status_code
        code = _reason(response)
        retryable = classify(status, code) is Outcome.retry
        fallback = "unavailable" if retryable else "rejected"
        raise AgencyError(agency, status, code or fallback, retryable=retryable)

    async def probe(self, agency: str) -> bool:
        """Is the agency serving again? Any answer but a 5xx from its health endpoint says so."""
        try:
            response = await self._http.get(
                f"{self._base(agency, None)}/agencies/{agency}/health",
                headers={"Authorization": self._credentials.authorization(agency)},
            )
        except httpx.TransportError:
            return serving(None)
        return serving(response.status_code)


def _reason(response: httpx.Response) -> str | None:
    """The agency's reason code, `{"code"}` or FastAPI's `{"detail": {"code"}}`, if well-formed."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    code = (
        detail.get("code")
        if isinstance(detail, dict)
        else body.get("code")
        if isinstance(body, dict)
        else None
    )
    return reason_code(code)
