"""A citizen's follow-ups over months (vaccination reminders after a birth): what is scheduled,
sent or cancelled, and cancelling one still scheduled (`409` once it was sent)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CommandLimit, OwnFollowUpsDep, ServicesDep
from orchestrator.follow_up_desk import FollowUpView


class FollowUpList(BaseModel):
    data: list[FollowUpView]
    count: int


router = APIRouter(prefix="/v1/me/follow-ups", tags=["citizens"])


@router.get("", response_model=FollowUpList)
async def list_follow_ups(citizen: OwnFollowUpsDep, services: ServicesDep) -> FollowUpList:
    """The follow-ups of the caller's cases, soonest first."""
    found = await services.follow_ups.list(citizen)
    return FollowUpList(data=found, count=len(found))


@router.post("/{case_id}/{follow_up_id}:cancel", response_model=FollowUpView)
async def cancel_follow_up(
    case_id: str, follow_up_id: str, citizen: OwnFollowUpsDep, limit: CommandLimit, services: ServicesDep
) -> FollowUpView:
    """Cancel a follow-up that is still scheduled; cancelling it again changes nothing."""
    return await services.follow_ups.cancel(case_id, follow_up_id, citizen)
