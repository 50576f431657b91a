"""The agency side of the data exchange: fetch a running step's fields from OneStop.

The values never travel through Temporal: the activity an agency's worker runs carries the case,
step and field names only, and this client asks OneStop for the values with the agency's own
credentials and the running call's activity id (OneStop checks with Temporal that it runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, Field


class StepData(BaseModel):
    subject: str | None = Field(description="whom the case is about, as the agency knows them")
    fields: dict[str, Any]


class ExchangeRefused(Exception):
    """OneStop refused the fetch (403/404): the step is not this agency's, or not running."""

    def __init__(self, status: int, detail: str, kind: str = "") -> None:
        self.status = status
        self.kind = kind
        super().__init__(f"{status}: {detail}")

    @property
    def consent_missing(self) -> bool:
        """The share is by consent and the citizen has not given it: OneStop asks them."""
        return self.kind == "urn:onestop:problem:consent-missing"


class ExchangeClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, authorization: Callable[[], str]) -> None:
        """`authorization` gives the current `Authorization` header value: a bearer token that the
        agency's identity provider issued (it is asked on every fetch, so it may rotate)."""
        self._http = http
        self._base = base_url.rstrip("/")
        self._authorization = authorization

    async def fetch(self, case_id: str, step_id: str, activity_id: str) -> StepData:
        response = await self._http.get(
            f"{self._base}/v1/agency/cases/{case_id}/steps/{step_id}/data",
            params={"activity_id": activity_id},
            headers={"Authorization": self._authorization()},
        )
        if response.status_code in (403, 404):
            raise ExchangeRefused(response.status_code, *_detail(response))
        response.raise_for_status()  # anything else is transient: the activity fails and retries
        return StepData.model_validate_json(response.content)


def _detail(response: httpx.Response) -> tuple[str, str]:
    """The problem's detail and type."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200], ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("detail", "")), str(body.get("type", ""))
