"""An agency's tasks: the review steps addressed to it, as its work list shows them.

A task is an `agency_review` step of the agency's own, read off the case's read model (the
step's view and the timeline, as the workflow wrote them in `workflows/step_waits.py`) without
asking Temporal. Its status:

- `open`: the step waits for the agency's decision: waiting, for the agency, with a deadline
  (`due_at`) and no next attempt (a step waiting for an *unavailable* agency to come back has a
  `next_attempt_at` and no deadline), and no decision given since the wait began;
- `escalated`: the deadline passed without a decision and the step holds for support: held
  with no failed call behind it (`last_error`) and no question open to the citizen
  (`asked_fields`), which tells it from the two other holds a review step knows;
- `decided`: the agency's last decision stands (the case went on, or asks the citizen).

A step the agency has not been sent yet is no task. Views show agency and life-event titles,
never ids: the agency's staff read them. No personal data: field names, never values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from orchestrator.cases import CaseView, StepStatus, StepView, TimelineEntry, WaitingFor
from orchestrator.contracts import ReasonCode
from orchestrator.definition import Ident, LifeEventDefinition, StepKind

DECIDED_EVENT = "agency_decided"
"""The timeline entry the workflow's `decide` Update writes: one per decision, in order."""
WAITING_EVENT = "step_waiting"
"""The timeline entry of each wait a step begins, for the agency's decision or the citizen."""


class TaskStatus(StrEnum):
    open = "open"
    escalated = "escalated"
    decided = "decided"


LISTED = (TaskStatus.open, TaskStatus.escalated)
"""What the work list holds: what still needs the agency, or support on its behalf."""


class AgencyTask(BaseModel):
    case_id: str
    step_id: str
    title: str = Field(description="the step's title")
    agency_title: str
    type: str = Field(description="life-event type")
    life_event_title: str
    status: TaskStatus
    since: datetime | None = Field(default=None, description="when this round was sent to the agency")
    due_at: datetime | None = Field(default=None, description="the deadline for the agency's decision")
    overdue: bool = False
    round: int = Field(description="1 for the first submission, one more after each request for input")
    shared_fields: list[str] = Field(default_factory=list, description="names of the fields sent")
    asks: list[str] = Field(default_factory=list, description="what the agency may ask the citizen for")
    decided_at: datetime | None = None
    decision: str | None = Field(default=None, description="the last decision, as the timeline says it")


class AgencyTaskList(BaseModel):
    data: list[AgencyTask]
    count: int = Field(description="tasks matching the filter, before paging")


class TaskSort(StrEnum):
    due = "due_at"
    due_desc = "-due_at"


class TaskFilter(BaseModel):
    """The work list's filters, all optional, combined with AND."""

    status: TaskStatus | None = Field(default=None, description="open or escalated")
    overdue: bool | None = Field(default=None, description="past the deadline (escalated ones are)")
    type: str | None = Field(default=None, description="life-event type")
    sort: TaskSort = TaskSort.due
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=100_000)

    @field_validator("status")
    @classmethod
    def _listed(cls, status: TaskStatus | None) -> TaskStatus | None:
        if status is not None and status not in LISTED:
            raise ValueError("the work list holds open and escalated tasks; read a decided one by its id")
        return status

    def keeps(self, task: AgencyTask) -> bool:
        return (
            task.status in LISTED
            and (self.status is None or task.status is self.status)
            and (self.overdue is None or task.overdue is self.overdue)
        )


class TaskCompletion(BaseModel):
    """Approve: the case goes on."""

    reason: ReasonCode = Field(default="", description="optional reason code")
    note: str | None = Field(default=None, max_length=2000, description="free text, kept in MongoDB")


class TaskFailure(BaseModel):
    """Reject, with the reason code the case's timeline and the citizen will see."""

    reason: ReasonCode = Field(min_length=1, description="reason code, e.g. certificate_invalid")
    note: str | None = Field(default=None, max_length=2000, description="free text, kept in MongoDB")


class TaskInputRequest(BaseModel):
    """Ask the citizen for fields (each one of the step's `asks`); then the step is sent again."""

    fields: list[Ident] = Field(min_length=1, max_length=50, description="names of the fields to ask for")
    reason: ReasonCode = Field(default="", description="optional reason code")
    note: str | None = Field(default=None, max_length=2000, description="free text, kept in MongoDB")


def task_of(
    case: CaseView, definition: LifeEventDefinition, step_id: str, now: datetime
) -> AgencyTask | None:
    """The step as a task of its agency, or None when it is no review or was never sent."""
    step = definition.step_or_none(step_id)
    view = next((s for s in case.steps if s.id == step_id), None)
    if step is None or view is None or step.kind is not StepKind.agency_review:
        return None
    decisions = [e for e in case.timeline if e.event == DECIDED_EVENT and e.step == step_id]
    last = decisions[-1] if decisions else None
    since, due = view.waiting_since, view.due_at
    if _awaits_decision(view) and not _decided_since(last, view.waiting_since):
        status, rounds = TaskStatus.open, len(decisions) + 1
    elif _escalated(view):
        # The hold began when the deadline passed; the wait began at the step's last wait entry.
        waits = [e.at for e in case.timeline if e.event == WAITING_EVENT and e.step == step_id]
        since = waits[-1] if waits else view.waiting_since
        due = since + timedelta(days=step.wait_days) if since is not None else None
        status, rounds = TaskStatus.escalated, len(decisions) + 1
    elif last is not None:
        status, rounds, since, due = TaskStatus.decided, len(decisions), None, None
    else:
        return None
    return AgencyTask(
        case_id=case.case_id,
        step_id=step_id,
        title=step.title or step_id,
        agency_title=view.agency_title or view.agency,
        type=case.type,
        life_event_title=definition.title,
        status=status,
        since=since,
        due_at=due,
        overdue=status is TaskStatus.escalated
        or (status is TaskStatus.open and due is not None and due < now),
        round=rounds,
        shared_fields=list(view.shared_fields),
        asks=list(step.asks),
        decided_at=last.at if status is TaskStatus.decided and last else None,
        decision=last.detail if status is TaskStatus.decided and last else None,
    )


def _awaits_decision(view: StepView) -> bool:
    return (
        view.status is StepStatus.waiting
        and view.waiting_for is WaitingFor.agency
        and view.due_at is not None
        and view.next_attempt_at is None
    )


def _escalated(view: StepView) -> bool:
    return (
        view.status is StepStatus.needs_attention
        and view.waiting_for is WaitingFor.support
        and view.last_error is None
        and not view.asked_fields
    )


def _decided_since(last: TimelineEntry | None, since: datetime | None) -> bool:
    """A decision at or after the wait began answers it: the Update's own answer still shows the
    step waiting (the workflow moves on after the handler returns)."""
    return last is not None and since is not None and last.at >= since


def refusal(task: AgencyTask | None) -> str | None:
    """Why a decision for the task cannot count now, when the task itself says it (else None)."""
    if task is None:
        return None
    if task.status is TaskStatus.decided:
        at = task.decided_at.isoformat(timespec="seconds") if task.decided_at else "earlier"
        return f"task {task.step_id} was already decided ({task.decision or 'decided'}, at {at}): a decision counts once"
    if task.status is TaskStatus.escalated:
        return (
            f"task {task.step_id} passed its deadline and is escalated to support: "
            "a decision counts again once support retries it"
        )
    return None
