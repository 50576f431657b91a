"""Inputs and results of the life-event workflow, its activities and its commands.

One model per call, so fields can be added without breaking recorded histories (unknown keys are
ignored, so removing one does not break them either). None carries personal data: the workflow
sees references (case id, citizen id, field names) and non-personal facts; activities load the
personal fields themselves, and people's free text stays in MongoDB.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, JsonValue

from orchestrator.cases import CaseStatus, StepView, TimelineEntry
from orchestrator.definition import LegalBasis, LifeEventDefinition

ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9_]{0,64}$")]


class AgencyTerms(BaseModel):
    """What the case needs to know of an agency, pinned at the start like the definition."""

    title: str = ""
    retry_for_hours: float = Field(default=168.0, gt=0, description="retry budget before holding")
    task_queue: str | None = Field(default=None, description="the agency's own queue; none: the case's")
    route_by: str | None = Field(default=None, description="the fact whose value picks an instance")
    instances: dict[str, str | None] = Field(
        default_factory=dict, description="instance -> its own task queue (none: the agency's)"
    )

    def route(self, facts: dict[str, JsonValue]) -> tuple[str | None, str | None]:
        """(instance, task queue) for a case with these facts: the office its calls go to."""
        value = facts.get(self.route_by) if self.route_by else None
        if isinstance(value, str) and value in self.instances:
            return value, self.instances[value] or self.task_queue
        return None, self.task_queue


CURRENT_ENGINE = 4
"""The engine revision intake starts new cases on (`LifeEventInput.engine`; what each means:
`workflows/engine_patches.py`)."""


class LifeEventInput(BaseModel):
    case_id: str
    citizen_id: str
    definition: LifeEventDefinition
    facts: dict[str, JsonValue] = Field(default_factory=dict)
    agencies: dict[str, AgencyTerms] = Field(default_factory=dict)
    engine: int = Field(
        default=0,
        description="the engine revision the case started on; 0 (started before revisions travelled"
        " in the input): the run's patch markers say which changes it has",
    )

    def terms(self, agency: str) -> AgencyTerms:
        """What the case pinned of `agency` (defaults for one the directory no longer had)."""
        return self.agencies.get(agency, AgencyTerms())

    def route(self, agency: str) -> tuple[str | None, str | None]:
        """(instance, task queue) this case's calls to `agency` go to."""
        return self.terms(agency).route(self.facts)


def step_key(case_id: str, step_id: str, round_: int = 0) -> str:
    """The idempotency key of a step's agency call: stable across retries and worker restarts, so
    an agency acts once per case, step and submission round (a review resubmitted with a missing
    document is a new submission). Its undo is `<key>:compensate`."""
    return f"{case_id}:{step_id}" + (f":r{round_}" if round_ else "")


def local_call_id(activity: str, position: int, nonce: str) -> str:
    """A local call's activity id: the activity, then its step's position in the case's
    definition (a position, not the step's name: activity ids are not encrypted, and a step's
    name tells facts), then a nonce."""
    return f"{activity}:{position}:{nonce}"


def local_call_position(activity_id: str) -> int | None:
    """The step position in a local call's activity id (None: not one of `local_call_id`'s)."""
    parts = activity_id.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return int(parts[1])


class AgencyCall(BaseModel):
    """One attempt at a step's agency action; the activity loads `inputs` from the case data."""

    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    inputs: list[str] = Field(default_factory=list)
    required_inputs: list[str] = Field(
        default_factory=list, description="fields without which the agency must not be called"
    )
    round: int = Field(default=0, description="resubmissions after the agency asked for more")
    outputs: list[str] = Field(default_factory=list, description="reply keys the workflow may keep")
    instance: str | None = Field(default=None, description="the agency's office, when split by jurisdiction")
    legal_basis: LegalBasis | None = Field(
        default=None,
        description="the step's, unless the default (by law, no reference); by consent the fields leave only if consented to",
    )


class AgencyUndo(BaseModel):
    """Undo every submission of a step (a review resubmitted has several rounds)."""

    case_id: str
    citizen_id: str
    step_id: str
    agency: str
    action: str
    rounds: int = Field(default=1, ge=1)
    instance: str | None = Field(default=None, description="the office that took the action")


class StepResult(BaseModel):
    reference: str
    output: dict[str, JsonValue] = Field(default_factory=dict)


class Actor(BaseModel):
    """Who sent a command, for the timeline: the token's subject and role."""

    subject: str
    role: str


class CancelInput(BaseModel):
    """Why, as a code only: free text a person typed may be personal, and stays in MongoDB."""

    reason: ReasonCode = "citizen_request"
    by: Actor


class AnswerInput(BaseModel):
    """The citizen answered a question; the values stay in the vault, only names travel.
    `question` names the question answered (when it was put), so a stale answer cannot count."""

    step_id: str
    fields: list[str]
    question: str
    by: Actor


class ConsentInput(BaseModel):
    """The citizen's answer to a step's consent question; the consent itself is kept in
    OneStop's consent store before this is sent (`given`), so the next attempt finds it."""

    step_id: str
    question: str
    given: bool
    by: Actor


class DecisionInput(BaseModel):
    """An agency's review verdict. `request_input` (field names) asks the citizen for more,
    after which the step is submitted again for review."""

    step_id: str
    approved: bool
    reason: ReasonCode = ""
    request_input: list[str] = Field(default_factory=list)
    by: Actor


class SupportInput(BaseModel):
    """A support action on a held or retrying step (`step_id`), or on the whole case."""

    step_id: str | None = None
    reason: ReasonCode
    by: Actor


class CaseState(BaseModel):
    """The workflow's own view of the case: what the `state` query and every command answer,
    and what the read model is a projection of. (`as_of`, `revision`) orders projections, also
    across a reset, whose new run continues at a later workflow time."""

    case_id: str
    status: CaseStatus
    steps: list[StepView]
    timeline: list[TimelineEntry]
    revision: int = 0
    as_of: datetime | None = None
    updates_profile: bool | None = None
    """Whether the completed case writes back to its citizen's profile (its definition links an
    input to it): without, the projection reads nothing to find out. None: a run from before it
    said, so the projection looks the definition up."""


class AgencyRecovered(BaseModel):
    """The signal that an agency answers again: its steps backing off try at once."""

    agency: str
