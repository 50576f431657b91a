"""What the workflow and OneStop exchange about offers and follow-ups: ids and statuses only.

The workflow says where the case is (`after`: a step or case_completed) and the steps' statuses;
OneStop decides the rules' conditions on the decrypted data and profile and answers with the ids
of what it offered and of the follow-ups that are due. No value travels either way.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from orchestrator.contracts import Actor


class OffersInput(BaseModel):
    case_id: str
    citizen_id: str = Field(description="the citizen's pseudonym, as the workflow knows them")
    after: str = Field(description="a step id, or case_completed")
    steps: dict[str, str] = Field(default_factory=dict, description="step id -> status")


class OffersResult(BaseModel):
    offers: list[str] = Field(default_factory=list, description="ids of the offers made")
    follow_ups: list[str] = Field(
        default_factory=list, description="ids of the follow-ups whose condition held"
    )


class FollowUpStatus(StrEnum):
    scheduled = "scheduled"
    sent = "sent"
    cancelled = "cancelled"


class FollowUpItem(BaseModel):
    id: str
    title: str
    due_at: datetime
    status: FollowUpStatus = FollowUpStatus.scheduled
    sent_at: datetime | None = None
    cancelled_at: datetime | None = None


class FollowUpInput(BaseModel):
    """A completed case's follow-ups, each due at a fixed time (the case's completion plus its
    `after_days`), started once per case as `follow-ups-<case id>`."""

    case_id: str
    citizen_id: str = Field(description="the citizen's pseudonym")
    life_event: str
    items: list[FollowUpItem]


class FollowUpCancel(BaseModel):
    follow_up_id: str
    by: Actor


class FollowUpState(BaseModel):
    """The schedule as its workflow sees it: what the query, the cancel Update and the
    projection carry. `revision` orders projections."""

    case_id: str
    citizen_id: str
    life_event: str
    items: list[FollowUpItem]
    revision: int = 0


class FollowUpNotice(BaseModel):
    """One notification due: the outbox record's content (no personal value)."""

    case_id: str
    citizen_id: str
    follow_up_id: str
    title: str
    due_at: datetime


def follow_ups_workflow_id(case_id: str) -> str:
    return f"follow-ups-{case_id}"
