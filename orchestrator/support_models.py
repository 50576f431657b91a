"""What support staff see and send: the stuck list's filter and rows, a case's detail with its
Temporal history summarised, and bulk actions with their per-case report.

Shared by the JSON API (`/v1/support/...`), the console (`/support`) and the CLI, so the three
can never disagree on a field name.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from orchestrator.cases import CaseStatus, CaseView, WaitingFor
from orchestrator.contracts import ReasonCode


class StuckCode(StrEnum):
    """Why a case needs a person: the first thing the stuck list says about it."""

    needs_attention = "needs_attention"  # a step holds: budget exhausted, undo failed, data missing…
    agency_overdue = "agency_overdue"  # an agency's decision is past its deadline
    citizen_unanswered = "citizen_unanswered"  # a question to the citizen open past the threshold
    retrying_long = "retrying_long"  # an agency call failing for longer than the threshold
    paused = "paused"  # support paused the step


class StuckReason(BaseModel):
    code: StuckCode
    step: str
    agency: str
    detail: str = Field(description="the step's own account: why it holds, or what it waits for")
    since: datetime | None = None
    last_error: str | None = Field(default=None, description="reason code of the last failed attempt")
    attempts: int = 0


class SupportSort(StrEnum):
    updated = "updated_at"
    updated_desc = "-updated_at"
    created = "created_at"
    created_desc = "-created_at"


class SupportFilter(BaseModel):
    """Every filter of the stuck list; all optional, combined with AND."""

    type: str | None = Field(default=None, description="life-event type")
    status: CaseStatus | None = None
    agency: str | None = Field(default=None, description="a step of this agency is open or held")
    waiting_for: WaitingFor | None = None
    stuck_minutes: int | None = Field(default=None, ge=0, description="stuck for at least this long")
    step: str | None = Field(default=None, description="this step holds or fails")
    error: str | None = Field(default=None, description="a step's last error code")
    stuck: bool = Field(default=False, description="only cases with a stuck reason")
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    sort: SupportSort = SupportSort.updated
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=100_000)


class SupportCase(BaseModel):
    """One row of the stuck list."""

    case_id: str
    type: str
    version: int
    status: CaseStatus
    created_at: datetime
    updated_at: datetime
    reasons: list[StuckReason] = Field(default_factory=list)
    stuck_since: datetime | None = Field(default=None, description="the oldest reason's start")


class SupportCaseList(BaseModel):
    data: list[SupportCase]
    count: int = Field(description="cases matching the filter, before paging")


class ActivitySummary(BaseModel):
    """One step's agency calls as Temporal recorded them."""

    step: str
    activity: str
    scheduled: int = 0
    completed: int = 0
    failed: int = 0
    timed_out: int = 0
    last_failure: str | None = None


class HistorySummary(BaseModel):
    run_id: str = ""
    workflow_status: str = ""
    events: int = 0
    activities: list[ActivitySummary] = Field(default_factory=list)
    timers: int = 0
    updates: list[str] = Field(default_factory=list, description="accepted Update names, in order")
    resets: int = 0


class AuditEntry(BaseModel):
    """One append-only audit record; `hash` chains it to the record before it."""

    seq: int
    at: datetime
    subject: str
    role: str
    action: str
    case_id: str | None = None
    step: str | None = None
    reason: str | None = None
    outcome: str
    prev_hash: str
    hash: str


class SupportCaseDetail(BaseModel):
    case: CaseView
    reasons: list[StuckReason]
    history: HistorySummary
    audit: list[AuditEntry]


SupportVerb = Literal["retry", "skip", "compensate", "resolve", "pause", "resume", "reset"]
STEP_VERBS: frozenset[str] = frozenset({"retry", "skip", "resolve", "pause", "resume", "reset"})


class BulkRequest(BaseModel):
    """One action on every case the filter matches, up to `limit`; `dry_run` only lists them."""

    action: SupportVerb
    filter: SupportFilter
    step: str | None = Field(
        default=None,
        description="the step to act on; without it, each case's stuck step (of the filter's agency)",
    )
    reason: ReasonCode = Field(min_length=1)
    dry_run: bool = True
    limit: int = Field(default=50, ge=1, le=500)

    @model_validator(mode="after")
    def _step_for_step_actions(self) -> BulkRequest:
        if self.action == "reset" and not self.step:
            raise ValueError("a reset goes back to before a step: name it in `step`")
        return self


class BulkOutcome(BaseModel):
    case_id: str
    outcome: Literal["planned", "applied", "refused", "unavailable", "failed"]
    detail: str = ""
    status_after: CaseStatus | None = Field(default=None, description="re-read from the workflow after")
    step_status_after: str | None = None


class BulkReport(BaseModel):
    batch_id: str
    action: SupportVerb
    step: str | None = None
    dry_run: bool
    matched: int
    results: list[BulkOutcome]
    at: datetime
