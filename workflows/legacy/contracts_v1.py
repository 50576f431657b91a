"""FROZEN: the activity and signal payloads of the v1 engine, as its recorded histories hold them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from orchestrator.cases import CaseStatus, StepStatus, StepView, TimelineEntry, WaitingFor
from orchestrator.contracts import ReasonCode


class StepInput(BaseModel):
    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    inputs: list[str] = Field(default_factory=list)
    maximum_attempts: int = 1
    await_decision: bool = False
    round: int = 0
    outputs: list[str] = Field(default_factory=list)
    events: list[TimelineEntry] = Field(default_factory=list)


class CompensationInput(BaseModel):
    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    maximum_attempts: int = 1
    rounds: int = Field(default=1, ge=1)
    events: list[TimelineEntry] = Field(default_factory=list)


class ProgressInput(BaseModel):
    case_id: str
    step_id: str
    status: StepStatus
    error: str | None = None
    waiting_for: WaitingFor | None = None
    asked_fields: list[str] = Field(default_factory=list)
    asked_at: datetime | None = None
    events: list[TimelineEntry] = Field(default_factory=list)


class AnswerInput(BaseModel):
    step_id: str
    fields: list[str]


class DecisionInput(BaseModel):
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


class CancelInput(BaseModel):
    reason: ReasonCode = "citizen_request"
    requested_by: str
