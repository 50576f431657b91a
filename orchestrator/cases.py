"""The case as citizens and support staff see it: statuses, steps and the timeline.

The same models serve the workflow's query, the MongoDB read model and the HTTP API, so the
three can never disagree on a field name. They travel in Temporal histories: add fields with
defaults, never remove one (unknown keys are ignored, so old histories still parse).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, JsonValue


class CaseStatus(StrEnum):
    running = "running"
    waiting = "waiting"
    needs_attention = "needs_attention"
    compensating = "compensating"
    completed = "completed"
    compensated = "compensated"
    failed = "failed"
    cancelled = "cancelled"


FINAL_CASE_STATUSES = frozenset(
    {CaseStatus.completed, CaseStatus.compensated, CaseStatus.failed, CaseStatus.cancelled}
)


class StepStatus(StrEnum):
    pending = "pending"
    running = "running"
    waiting = "waiting"
    needs_attention = "needs_attention"
    succeeded = "succeeded"
    failed = "failed"
    compensated = "compensated"
    skipped = "skipped"


FINAL_STEP_STATUSES = frozenset(
    {StepStatus.succeeded, StepStatus.failed, StepStatus.compensated, StepStatus.skipped}
)


def effective_status(stored: CaseStatus, steps: list[StepView]) -> CaseStatus:
    """An open case is `needs_attention` when any step holds for support, else `waiting` when one
    waits on a citizen or an agency: the most urgent fact about it, derived from its steps."""
    if stored not in (CaseStatus.running, CaseStatus.compensating):
        return stored
    if any(s.status is StepStatus.needs_attention for s in steps):
        return CaseStatus.needs_attention
    if stored is CaseStatus.running and any(s.status is StepStatus.waiting for s in steps):
        return CaseStatus.waiting
    return stored


class WaitingFor(StrEnum):
    citizen = "citizen"
    agency = "agency"
    support = "support"


class ConsentQuestion(BaseModel):
    """What a step asks the citizen's consent for: field names, never values."""

    agency: str
    agency_title: str = ""
    action: str
    fields: list[str]
    purpose: str = ""


class StepView(BaseModel):
    id: str
    agency: str
    title: str = ""
    agency_title: str = ""
    status: StepStatus = StepStatus.pending
    waiting_for: WaitingFor | None = None
    waiting_since: datetime | None = None
    due_at: datetime | None = Field(default=None, description="when a wait for an answer runs out")
    asked_fields: list[str] = Field(default_factory=list, description="what the citizen is asked for now")
    asked_at: datetime | None = None
    consent: ConsentQuestion | None = Field(
        default=None, description="the share the citizen is asked to consent to, while asked"
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, description="reason code of the last failed attempt")
    next_attempt_at: datetime | None = None
    attention: str | None = Field(default=None, description="why support must act (needs_attention)")
    paused: bool = Field(default=False, description="support paused its agency calls (a known outage)")
    error: str | None = None
    required: bool = True
    reference: str | None = None
    shared_fields: list[str] = Field(default_factory=list, description="case fields this agency received")
    started_at: datetime | None = None
    finished_at: datetime | None = None


class TimelineEntry(BaseModel):
    at: datetime
    event: str
    step: str | None = None
    detail: str | None = None
    by: str | None = Field(default=None, description="who acted: the subject of a command")
    role: str | None = None


class CaseView(BaseModel):
    case_id: str
    type: str
    version: int
    status: CaseStatus
    steps: list[StepView]
    timeline: list[TimelineEntry] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    outputs: dict[str, dict[str, JsonValue]] = Field(default_factory=dict)
    personal_data_removed_at: datetime | None = Field(
        default=None, description="when retention removed the case's personal data (the view stays)"
    )
    linked_from: str | None = Field(default=None, description="the case whose offer started this one")


def question_id(asked_at: datetime | None) -> str:
    """Names one question put to the citizen: when it was put, to the millisecond, because the
    read model (MongoDB) keeps milliseconds and the answer is matched against the workflow's."""
    return asked_at.isoformat(timespec="milliseconds") if asked_at else ""
