"""The JSON API as the signed-in citizen calls it: the portal's only way to the cases.

Calls go through the API's own ASGI app in-process (`httpx.ASGITransport`: no socket, no port),
with the citizen's bearer token, so every page gets exactly what a citizen's own client would:
the same permissions, validation (a 422 naming every bad field), idempotency, rate limits and
audit. Answers are parsed into the API's own response models; a refusal is an `ApiProblem`
holding the RFC 9457 problem document the API sent.

The request id of the page's request goes along (`X-Request-ID`), so the API's log lines of one
page view carry one id.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, JsonValue, ValidationError

from api.routes.cases import CaseList
from api.routes.catalog import CatalogList
from api.routes.consents import ConsentList
from api.routes.data_uses import DataUseList
from api.routes.follow_ups import FollowUpList
from api.routes.life_events import CaseAccepted
from orchestrator.auth import Principal
from orchestrator.cases import CaseView
from orchestrator.consent_desk import ConsentView
from orchestrator.follow_up_desk import FollowUpView
from orchestrator.form_schema import FormSchemas
from orchestrator.offer_desk import CaseDetail
from orchestrator.offers import OfferView
from orchestrator.problem_details import Problem
from orchestrator.profile import CitizenProfile

M = TypeVar("M", bound=BaseModel)

BASE_URL = "http://127.0.0.1"
"""Never dialled: the transport hands each request to the app in-process."""


class ApiProblem(Exception):
    """The API refused a call; `problem` says why, `errors` lists every bad field."""

    def __init__(self, problem: Problem, retry_after: str | None = None) -> None:
        self.problem = problem
        self.retry_after = retry_after
        super().__init__(problem.detail)

    @property
    def status(self) -> int:
        return self.problem.status


class CitizenApi:
    def __init__(self, app: FastAPI, principal: Principal, token: str, request_id: str | None) -> None:
        self.principal = principal
        headers = {"Authorization": f"Bearer {token}"}
        if request_id:
            headers["X-Request-ID"] = request_id
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 0)),
            base_url=BASE_URL,
            headers=headers,
            trust_env=False,
            timeout=30,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def catalog(self) -> CatalogList:
        return await self._call("GET", "/v1/catalog", CatalogList)

    async def schema(self, type_: str) -> FormSchemas:
        return await self._call("GET", f"/v1/catalog/{_segment(type_)}/schema", FormSchemas)

    async def report(self, type_: str, data: dict[str, JsonValue], key: str) -> CaseAccepted:
        body = {"type": type_, "data": data}
        return await self._call(
            "POST", "/v1/life-events", CaseAccepted, json=body, headers={"Idempotency-Key": key}
        )

    async def cases(self, cursor: str | None = None, limit: int = 20) -> CaseList:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return await self._call("GET", "/v1/cases", CaseList, params=params)

    async def case(self, case_id: str) -> CaseDetail:
        return await self._call("GET", f"/v1/cases/{_segment(case_id)}", CaseDetail)

    async def answer(self, case_id: str, step_id: str, data: dict[str, JsonValue]) -> CaseView:
        url = f"/v1/cases/{_segment(case_id)}/steps/{_segment(step_id)}/input"
        return await self._call("POST", url, CaseView, json={"data": data})

    async def cancel(self, case_id: str, reason: str | None) -> CaseView:
        body = {"reason": reason} if reason else {}
        return await self._call("POST", f"/v1/cases/{_segment(case_id)}:cancel", CaseView, json=body)

    async def profile(self) -> CitizenProfile:
        return await self._call("GET", "/v1/me", CitizenProfile)

    async def update_profile(self, changes: dict[str, JsonValue]) -> CitizenProfile:
        return await self._call("PATCH", "/v1/me", CitizenProfile, json=changes)

    async def data_uses(self, cursor: str | None = None, limit: int = 25) -> DataUseList:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return await self._call("GET", "/v1/me/data-uses", DataUseList, params=params)

    async def answer_consent(self, case_id: str, step_id: str, given: bool) -> CaseView:
        url = f"/v1/cases/{_segment(case_id)}/steps/{_segment(step_id)}/consent"
        return await self._call("POST", url, CaseView, json={"given": given})

    async def consents(self) -> ConsentList:
        return await self._call("GET", "/v1/me/consents", ConsentList)

    async def give_consent(self, agency: str, action: str) -> ConsentView:
        url = f"/v1/me/consents/{_segment(agency)}/{_segment(action)}"
        return await self._call("PUT", url, ConsentView, json={})

    async def withdraw_consent(self, agency: str, action: str) -> ConsentView:
        url = f"/v1/me/consents/{_segment(agency)}/{_segment(action)}"
        return await self._call("DELETE", url, ConsentView)

    async def accept_offer(self, case_id: str, offer_id: str, data: dict[str, JsonValue]) -> CaseView:
        url = f"/v1/cases/{_segment(case_id)}/offers/{_segment(offer_id)}:accept"
        return await self._call("POST", url, CaseView, json={"data": data})

    async def decline_offer(self, case_id: str, offer_id: str) -> OfferView:
        url = f"/v1/cases/{_segment(case_id)}/offers/{_segment(offer_id)}:decline"
        return await self._call("POST", url, OfferView)

    async def follow_ups(self) -> FollowUpList:
        return await self._call("GET", "/v1/me/follow-ups", FollowUpList)

    async def cancel_follow_up(self, case_id: str, follow_up_id: str) -> FollowUpView:
        url = f"/v1/me/follow-ups/{_segment(case_id)}/{_segment(follow_up_id)}:cancel"
        return await self._call("POST", url, FollowUpView)

    async def call(self, method: str, url: str, model: type[M], **kwargs: Any) -> M:
        """Any other route of the API (a panel's own), answered or refused the same way."""
        return await self._call(method, url, model, **kwargs)

    async def _call(self, method: str, url: str, model: type[M], **kwargs: Any) -> M:
        response = await self._client.request(method, url, **kwargs)
        if response.is_success:
            return model.model_validate_json(response.content)
        raise ApiProblem(_problem(response), response.headers.get("Retry-After"))


def _segment(value: str) -> str:
    """A path segment, escaped whole: a value with a slash or a dot-dot cannot reach another route."""
    return quote(value, safe="").replace(".", "%2E")


def _problem(response: httpx.Response) -> Problem:
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:  # not one of the API's own answers (a proxy's page): say what came back
        return Problem(
            type="urn:onestop:problem:error",
            title=response.reason_phrase or "Error",
            status=response.status_code,
            detail=f"the service answered {response.status_code}",
        )
