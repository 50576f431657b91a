"""An agency works its tasks: lists the reviews addressed to it, reads one, and completes, fails
or answers one with a request for the citizen's input.

Answered from the `cases` read model (no Temporal query per task), with the pinned definition
of each case for the step's title, deadline and what it may ask. Every completion is the one
decision command (`CaseCommands.decide`): the workflow's validator refuses a second decision, so
a retried request has no second effect. Another agency's task does not exist to the caller
(404, never 403): existence does not leak.
"""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.agency_tasks import (
    AgencyTask,
    AgencyTaskList,
    TaskCompletion,
    TaskFailure,
    TaskFilter,
    TaskInputRequest,
    TaskSort,
    task_of,
)
from orchestrator.auth import Principal
from orchestrator.case_commands import CaseCommands, Verdict
from orchestrator.case_store import CaseStore
from orchestrator.cases import CaseView
from orchestrator.definition import LifeEventDefinition, StepKind
from orchestrator.definition_store import DefinitionStore
from orchestrator.errors import CaseNotFound, NotFound

SCAN_LIMIT = 5_000
"""Cases read per list request at most: the count is exact below it."""

_NEVER = datetime.max.replace(tzinfo=UTC)


class WorkList:
    def __init__(self, cases: CaseStore, definitions: DefinitionStore, commands: CaseCommands) -> None:
        self._cases = cases
        self._definitions = definitions
        self._commands = commands

    async def find(self, principal: Principal, filter: TaskFilter) -> AgencyTaskList:
        """The caller's agency's open and escalated tasks, by deadline; `count` before paging."""
        agency = _agency(principal)
        now = datetime.now(UTC)
        tasks: list[AgencyTask] = []
        for record in await self._cases.waiting_on_agency(agency, filter.type, SCAN_LIMIT):
            definition = await self._definitions.get(record.definition_id)
            view = record.view()
            for step_id in _reviews_of(definition, agency):
                task = task_of(view, definition, step_id, now)
                if task is not None and filter.keeps(task):
                    tasks.append(task)
        tasks.sort(key=lambda t: (t.due_at or _NEVER, t.case_id, t.step_id))
        if filter.sort is TaskSort.due_desc:
            tasks.reverse()
        return AgencyTaskList(data=tasks[filter.offset : filter.offset + filter.limit], count=len(tasks))

    async def task(self, principal: Principal, case_id: str, step_id: str) -> AgencyTask:
        """One task of the caller's agency, in any status; anything else is 404."""
        agency = _agency(principal)
        try:
            record = await self._cases.get(case_id)
        except CaseNotFound:
            raise _missing(case_id, step_id) from None
        definition = await self._definitions.get(record.definition_id)
        return _own(record.view(), definition, agency, case_id, step_id)

    async def complete(
        self, principal: Principal, case_id: str, step_id: str, body: TaskCompletion
    ) -> AgencyTask:
        verdict = Verdict(approved=True, reason=body.reason, note=body.note)
        return await self._decide(principal, case_id, step_id, verdict)

    async def fail(self, principal: Principal, case_id: str, step_id: str, body: TaskFailure) -> AgencyTask:
        verdict = Verdict(approved=False, reason=body.reason, note=body.note)
        return await self._decide(principal, case_id, step_id, verdict)

    async def request_input(
        self, principal: Principal, case_id: str, step_id: str, body: TaskInputRequest
    ) -> AgencyTask:
        verdict = Verdict(approved=False, reason=body.reason, request_input=body.fields, note=body.note)
        return await self._decide(principal, case_id, step_id, verdict, asks_field="body.fields")

    async def _decide(
        self,
        principal: Principal,
        case_id: str,
        step_id: str,
        verdict: Verdict,
        asks_field: str = "request_input",
    ) -> AgencyTask:
        """The decision command, answered with the task as the workflow's verdict leaves it."""
        agency = _agency(principal)
        view = await self._commands.decide(case_id, step_id, principal, verdict, asks_field=asks_field)
        definition = await self._definitions.get((await self._cases.get(case_id)).definition_id)
        return _own(view, definition, agency, case_id, step_id)


def _agency(principal: Principal) -> str:
    if principal.agency is None:  # the permission admits agencies only, which carry the claim
        raise NotFound("no agency: the work list is an agency's")
    return principal.agency


def _reviews_of(definition: LifeEventDefinition, agency: str) -> list[str]:
    return [s.id for s in definition.steps if s.agency == agency and s.kind is StepKind.agency_review]


def _own(
    view: CaseView, definition: LifeEventDefinition, agency: str, case_id: str, step_id: str
) -> AgencyTask:
    """The step as the agency's task; a step of another agency's, or none it was sent, is 404."""
    owned = step_id in _reviews_of(definition, agency)
    task = task_of(view, definition, step_id, datetime.now(UTC)) if owned else None
    if task is None:
        raise _missing(case_id, step_id)
    return task


def _missing(case_id: str, step_id: str) -> NotFound:
    return NotFound(f"task {case_id}/{step_id} not found")
