"""Inputs and results of the life-event workflow and its activities.

One model per call, so fields can be added without breaking recorded histories. None carries
personal data: the workflow sees references (case id, citizen id, field names) and non-personal
facts; activities load the personal fields themselves.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue

from orchestrator.cases import CaseStatus, StepStatus, StepView, TimelineEntry
from orchestrator.definition import LifeEventDefinition


class LifeEventInput(BaseModel):
    case_id: str
    citizen_id: str
    definition: LifeEventDefinition
    facts: dict[str, JsonValue] = Field(default_factory=dict)


class StepRequest(BaseModel):
    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    inputs: list[str] = Field(default_factory=list)
    maximum_attempts: int = 1
    await_decision: bool = Field(default=False, description="agency_review: the agency decides later")
    events: list[TimelineEntry] = Field(default_factory=list, description="workflow events to record")


class StepResult(BaseModel):
    reference: str
    output: dict[str, JsonValue] = Field(default_factory=dict)


class CompensationRequest(BaseModel):
    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    maximum_attempts: int = 1
    events: list[TimelineEntry] = Field(default_factory=list)


class StepProgress(BaseModel):
    """A transition the workflow decides on its own (waiting, a decision): one read-model write."""

    case_id: str
    step_id: str
    status: StepStatus
    error: str | None = None
    events: list[TimelineEntry] = Field(default_factory=list)


class InputProvided(BaseModel):
    """The citizen answered a citizen_input step; the values stay in the vault, only names travel."""

    step_id: str
    fields: list[str]


class AgencyDecision(BaseModel):
    step_id: str
    approved: bool
    reason: str = Field(default="", max_length=500)
    decided_by: str


class CaseOutcome(BaseModel):
    case_id: str
    status: CaseStatus
    steps: list[StepView]
    events: list[TimelineEntry] = Field(default_factory=list)


class CancelRequest(BaseModel):
    reason: str = Field(default="cancelled by the citizen", max_length=500)
    requested_by: str


class CaseState(BaseModel):
    """What the workflow's `state` query answers: the live truth, ahead of the read model."""

    case_id: str
    status: CaseStatus
    steps: list[StepView]
    timeline: list[TimelineEntry]
