"""Calls agencies over HTTP with an idempotency key, sorting their answers into retryable or not.

Transient trouble (timeouts, refused connections, 5xx, 408, 429) retries with the step's
backoff; any other 4xx is the agency's decision and is final.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, Field, JsonValue

from activities.agency_credentials import AgencyCredentials
from orchestrator.errors import AgencyError

_RETRYABLE_4XX = frozenset({401, 403, 408, 425, 429})
_CODE = re.compile(r"[a-z0-9_]{1,64}")


class AgencyRequest(BaseModel):
    case_id: str
    step_id: str
    subject: str = Field(description="the citizen's id at the agency")
    fields: dict[str, JsonValue] = Field(default_factory=dict)
    compensates: str | None = Field(default=None, description="idempotency key of the action undone")
    instance: str | None = Field(default=None, description="the office addressed, when split by jurisdiction")


class AgencyReply(BaseModel):
    reference: str
    status: str = "done"
    output: dict[str, JsonValue] = Field(default_factory=dict)


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
                headers={"Idempotency-Key": key, "Authorization": self._credentials.authorization(agency)},
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
        # 5xx, throttling, and our own credentials refused (an operator fixes those) are transient.
        retryable = status >= 500 or status in _RETRYABLE_4XX
        raise AgencyError(agency, status, _code(response, retryable), retryable=retryable)

    async def probe(self, agency: str) -> bool:
        """Is the agency serving again? Any answer but a 5xx from its health endpoint says so."""
        try:
            response = await self._http.get(
                f"{self._base(agency, None)}/agencies/{agency}/health",
                headers={"Authorization": self._credentials.authorization(agency)},
            )
        except httpx.TransportError:
            return False
        return response.status_code < 500


def _code(response: httpx.Response, retryable: bool) -> str:
    """The agency's reason code when it gives a well-formed one, else a code for the status."""
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
    if isinstance(code, str) and _CODE.fullmatch(code):
        return code
    return "unavailable" if retryable else "rejected"
