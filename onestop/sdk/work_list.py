"""An agency's work list over HTTP: list its open review tasks, read one, and complete, fail or
answer one with a request for the citizen's input.

Self-contained on purpose: httpx and pydantic only, so an agency imports it without OneStop's
API, database or catalog. The models mirror the API's (`GET /v1/agency/tasks`); unknown fields
are ignored, so a newer OneStop does not break an older client.

Errors, each carrying the RFC 9457 problem document OneStop answered with:

WorkListError            any answer but success (.status, .problem)
├── TaskNotFound         404: no such task, or another agency's (existence does not leak)
├── TaskConflict         409: the task was decided already, or is not waiting for a decision
└── TaskInputError       422: a bad request; `.problem.errors` names every bad field

    async with WorkList("https://onestop.example", token) as work:
        for task in (await work.tasks(overdue=True)).data:
            await work.request_input(task.case_id, task.step_id, ["medical_certificate_number"])
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from types import TracebackType
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class TaskStatus(StrEnum):
    open = "open"
    escalated = "escalated"  # past the deadline: support holds it, and a decision waits for them
    decided = "decided"


class AgencyTask(BaseModel):
    model_config = ConfigDict(extra="ignore")

    case_id: str
    step_id: str
    title: str
    agency_title: str
    type: str
    life_event_title: str
    status: TaskStatus
    since: datetime | None = None
    due_at: datetime | None = None
    overdue: bool = False
    round: int = 1
    shared_fields: list[str] = Field(default_factory=list)
    asks: list[str] = Field(default_factory=list)
    decided_at: datetime | None = None
    decision: str | None = None


class AgencyTaskList(BaseModel):
    data: list[AgencyTask]
    count: int


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = "about:blank"
    title: str = ""
    status: int
    detail: str = ""
    errors: list[FieldProblem] = Field(default_factory=list)


class WorkListError(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.status = problem.status
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}")


class TaskNotFound(WorkListError):
    pass


class TaskConflict(WorkListError):
    pass


class TaskInputError(WorkListError):
    pass


_ERRORS: dict[int, type[WorkListError]] = {404: TaskNotFound, 409: TaskConflict, 422: TaskInputError}


class WorkList:
    """`client`: an httpx client of the caller's own (proxies, certificates, transports); else
    one is made for `base_url` and closed by `aclose` or the `async with` block."""

    def __init__(
        self, base_url: str, token: str, *, timeout: float = 10.0, client: httpx.AsyncClient | None = None
    ) -> None:
        self._owned = client is None
        self._http = client or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}"}

    async def __aenter__(self) -> WorkList:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owned:
            await self._http.aclose()

    async def tasks(
        self,
        *,
        status: TaskStatus | None = None,
        overdue: bool | None = None,
        type: str | None = None,
        latest_first: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> AgencyTaskList:
        """Open and escalated tasks of the token's agency, soonest deadline first."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        params["sort"] = "-due_at" if latest_first else "due_at"
        if status is not None:
            params["status"] = status.value
        if overdue is not None:
            params["overdue"] = "true" if overdue else "false"
        if type is not None:
            params["type"] = type
        return AgencyTaskList.model_validate(await self._send("GET", "/v1/agency/tasks", params=params))

    async def task(self, case_id: str, step_id: str) -> AgencyTask:
        return AgencyTask.model_validate(await self._send("GET", _path(case_id, step_id)))

    async def complete(
        self, case_id: str, step_id: str, *, reason: str = "", note: str | None = None
    ) -> AgencyTask:
        """Approve; a reason code and a note (kept by OneStop, not sent to Temporal) are optional."""
        body = _body(reason=reason, note=note)
        return AgencyTask.model_validate(
            await self._send("POST", f"{_path(case_id, step_id)}:complete", body)
        )

    async def fail(self, case_id: str, step_id: str, reason: str, *, note: str | None = None) -> AgencyTask:
        """Reject with a reason code (lowercase letters, digits and `_`): the case is undone."""
        body = _body(reason=reason, note=note)
        return AgencyTask.model_validate(await self._send("POST", f"{_path(case_id, step_id)}:fail", body))

    async def request_input(
        self, case_id: str, step_id: str, fields: list[str], *, reason: str = "", note: str | None = None
    ) -> AgencyTask:
        """Ask the citizen for `fields` (each one of the task's `asks`); the answer comes back as
        the task's next round."""
        body = _body(fields=fields, reason=reason, note=note)
        path = f"{_path(case_id, step_id)}:request-input"
        return AgencyTask.model_validate(await self._send("POST", path, body))

    async def _send(
        self,
        method: str,
        path: str,
        body: dict[str, object] | None = None,
        params: dict[str, str | int] | None = None,
    ) -> object:
        response = await self._http.request(method, path, json=body, params=params, headers=self._headers)
        if response.is_success:
            return response.json()
        raise _ERRORS.get(response.status_code, WorkListError)(_problem(response))


def _path(case_id: str, step_id: str) -> str:
    return f"/v1/agency/tasks/{quote(case_id, safe='')}/{quote(step_id, safe='')}"


def _body(**fields: object) -> dict[str, object]:
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _problem(response: httpx.Response) -> Problem:
    """The server's problem document, or one made from the status when the body is none (a proxy's
    error page, say)."""
    try:
        return Problem.model_validate({"status": response.status_code, **response.json()})
    except (ValueError, TypeError, ValidationError):
        return Problem(status=response.status_code, title=response.reason_phrase, detail=response.text[:200])
