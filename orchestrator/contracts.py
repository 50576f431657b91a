"""Inputs and results of the life-event workflow and its activities.

One model per call, so fields can be added without breaking recorded histories. None carries
personal data: the workflow sees references (case id, citizen id, field names) and non-personal
facts; activities load the personal fields themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, JsonValue

from orchestrator.cases import CaseStatus, StepStatus, StepView, TimelineEntry, WaitingFor
from orchestrator.definition import LifeEventDefinition


class LifeEventInput(BaseModel):
    case_id: str
    citizen_id: str
    definition: LifeEventDefinition
    facts: dict[str, JsonValue] = Field(default_factory=dict)


class StepInput(BaseModel):
    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    inputs: list[str] = Field(default_factory=list)
    maximum_attempts: int = 1
    await_decision: bool = Field(default=False, description="agency_review: the agency decides later")
    round: int = Field(default=0, description="resubmissions after the agency asked for more")
    outputs: list[str] = Field(default_factory=list, description="reply keys the workflow may keep")
    events: list[TimelineEntry] = Field(default_factory=list, description="workflow events to record")


class StepResult(BaseModel):
    reference: str
    output: dict[str, JsonValue] = Field(default_factory=dict)


class CompensationInput(BaseModel):
    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    maximum_attempts: int = 1
    rounds: int = Field(default=1, ge=1, description="submissions made (a review resubmitted has several)")
    events: list[TimelineEntry] = Field(default_factory=list)


class ProgressInput(BaseModel):
    """A transition the workflow decides on its own (waiting, a decision): one read-model write."""

    case_id: str
    step_id: str
    status: StepStatus
    error: str | None = None
    waiting_for: WaitingFor | None = None
    asked_fields: list[str] = Field(default_factory=list)
    asked_at: datetime | None = Field(default=None, description="workflow time the question was put")
    events: list[TimelineEntry] = Field(default_factory=list)


class AnswerInput(BaseModel):
    """The citizen answered a citizen_input step; the values stay in the vault, only names travel."""

    step_id: str
    fields: list[str]


class DecisionInput(BaseModel):
    """An agency's review verdict. `request_input` (field names) asks the citizen for more,
    after which the step is submitted again for review."""

    step_id: str
    approved: bool
    reason: ReasonCode = ""
    request_input: list[str] = Field(default_factory=list)
    decided_by: str


class OutcomeInput(BaseModel):
    case_id: str
    status: CaseStatus
    steps: list[StepView]
    events: list[TimelineEntry] = Field(default_factory=list)


ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9_]{0,64}$")]


class CancelInput(BaseModel):
    """Why, as a code only: free text a person typed may be personal, and stays in MongoDB."""

    reason: ReasonCode = "citizen_request"
    requested_by: str


class CaseState(BaseModel):
    """What the workflow's `state` query answers: the live truth, ahead of the read model."""

    case_id: str
    status: CaseStatus
    steps: list[StepView]
    timeline: list[TimelineEntry]
