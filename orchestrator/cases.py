"""The case as citizens and support staff see it: statuses, steps and the timeline.

The same models serve the workflow's query, the MongoDB read model and the HTTP API, so the
three can never disagree on a field name.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, JsonValue


class CaseStatus(StrEnum):
    running = "running"
    waiting = "waiting"
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
    succeeded = "succeeded"
    failed = "failed"
    compensated = "compensated"
    skipped = "skipped"


FINAL_STEP_STATUSES = frozenset(
    {StepStatus.succeeded, StepStatus.failed, StepStatus.compensated, StepStatus.skipped}
)


def effective_status(stored: CaseStatus, steps: list[StepView]) -> CaseStatus:
    """A running case with a step waiting on a citizen or an agency is `waiting`.

    Derived rather than stored: parallel steps write the read model concurrently, and a stored
    case-level flag would be overwritten by whichever write lands last.
    """
    if stored is CaseStatus.running and any(s.status is StepStatus.waiting for s in steps):
        return CaseStatus.waiting
    return stored


class WaitingFor(StrEnum):
    citizen = "citizen"
    agency = "agency"


class StepView(BaseModel):
    id: str
    agency: str
    status: StepStatus = StepStatus.pending
    waiting_for: WaitingFor | None = None
    asked_fields: list[str] = Field(default_factory=list, description="what the citizen is asked for now")
    asked_at: datetime | None = None
    attempts: int = 0
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
