"""The plan a dry run answers with: what a case of a life event would do on some data.

These are the models of `POST /v1/catalog/{type}:try` and `onestop catalog try`; the plan itself
is made by `orchestrator.dry_run`. Values of fields appear only where the caller owns them: in a
dry run that is the sample data the caller sent, so each value is marked `source: sample`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from orchestrator.definition import FieldType, Ident, StepKind


class StepOutcome(StrEnum):
    """What a step does in the plan: it succeeds unless the caller says otherwise."""

    succeeded = "succeeded"
    failed = "failed"  # the agency refuses it (or its condition cannot be evaluated)
    skipped = "skipped"  # support skips it while it is held


class TryRequest(BaseModel):
    """Sample data to run a life event on, and optionally what-ifs."""

    data: dict[str, JsonValue] = Field(description="the citizen's data, as a trigger would send it")
    step_outcomes: dict[Ident, Literal[StepOutcome.failed, StepOutcome.skipped]] = Field(
        default_factory=dict, description="steps that fail or are skipped instead of succeeding"
    )
    outputs: dict[Ident, dict[Ident, JsonValue]] = Field(
        default_factory=dict,
        description="replies to assume for steps whose `outputs` later conditions read (none by default)",
    )


class SharedField(BaseModel):
    name: str
    sent: bool = Field(description="the data has a value for it: the agency receives the field")
    value: JsonValue = Field(default=None, description="only where the caller owns it")
    source: Literal["sample"] | None = Field(default=None, description="whose value it is")
    asked: bool = Field(default=False, description="the citizen is asked for it while the case runs")


class Wait(BaseModel):
    """A step that waits durably: for the citizen's answer, or for the agency's decision."""

    waits_for: Literal["citizen", "agency"]
    whom: str = Field(description="the citizen, or the agency's title")
    days: float
    fields: list[str] = Field(
        default_factory=list, description="asked of the citizen, or askable by the agency"
    )


class PlannedStep(BaseModel):
    id: str
    title: str
    agency: str
    agency_title: str
    action: str
    kind: StepKind
    required: bool
    outcome: StepOutcome
    reason: str = Field(default="", description="why it fails or is skipped, when it does")
    wait: Wait | None = None
    fields: list[SharedField] = Field(
        description="what the agency would receive (the case's `shared_fields`)"
    )
    legal_basis: str = Field(
        default="law",
        description="`consent` (the citizen is asked unless they consented before), or `law: ...`",
    )


class Wave(BaseModel):
    """Steps that become ready together; within a wave they start in definition order."""

    number: int
    steps: list[PlannedStep]


class SkipKind(StrEnum):
    condition = "condition"  # its `when` is false
    dependency = "dependency"  # a step it depends on failed, or was skipped because one did
    case_stopped = "case_stopped"  # a required step failed before it could start


class SkippedStep(BaseModel):
    id: str
    kind: SkipKind
    reason: str = Field(description="the words the case's timeline would give")
    condition: str | None = None
    dependency: str | None = None


class Question(BaseModel):
    """A field the citizen would be asked while the case runs."""

    step: str
    field: str
    type: FieldType
    title: str


class PlannedUndo(BaseModel):
    step: str
    agency: str
    action: str


class AgencyShare(BaseModel):
    """Every field one agency would receive, over all its steps in the plan."""

    agency: str
    title: str
    steps: list[str]
    fields: list[str]


class Offer(BaseModel):
    """An offer the case would make (`offers`), or one it would not and why (`offers_not_made`)."""

    id: str
    service: str
    title: str
    after: str
    prefilled: list[str] = Field(default_factory=list, description="inputs of the service it pre-fills")
    reason: str | None = Field(default=None, description="why it would not be made")


class PlannedFollowUp(BaseModel):
    id: str
    title: str
    after_days: float


class Plan(BaseModel):
    type: str
    version: int
    digest: str
    outcome: Literal["completed", "compensated"]
    waves: list[Wave]
    skipped: list[SkippedStep]
    agencies: list[AgencyShare]
    questions: list[Question]
    compensations: list[PlannedUndo] = Field(description="undone in this order, newest first")
    offers: list[Offer] = Field(default_factory=list, description="made as the case reaches each point")
    offers_not_made: list[Offer] = Field(default_factory=list)
    follow_ups: list[PlannedFollowUp] = Field(
        default_factory=list, description="scheduled when the case completes"
    )
    assumptions: list[str]
    mermaid: str
