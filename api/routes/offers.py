"""A citizen answers what OneStop offers after a case: accept (the offered life event starts as a
case of its own, pre-filled, linked to the first: `201` with it) or decline. An offer past its
`expires_at`, or already decided the other way, is `409`; another citizen's case is `404`."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, JsonValue

from api.deps import AnswerOfferDep, CommandLimit, ServicesDep
from orchestrator.cases import CaseView
from orchestrator.offers import OfferView


class OfferAccept(BaseModel):
    data: dict[str, JsonValue] = Field(
        default_factory=dict, description="inputs to add to, or change in, what the offer pre-fills"
    )


router = APIRouter(prefix="/v1/cases", tags=["citizens"])


@router.post("/{case_id}/offers/{offer_id}:accept", status_code=201, response_model=CaseView)
async def accept_offer(
    case_id: str,
    offer_id: str,
    citizen: AnswerOfferDep,
    limit: CommandLimit,
    services: ServicesDep,
    body: OfferAccept | None = None,
) -> CaseView:
    """Start the offered life event, pre-filled from this case and the profile; accepting again
    answers with the same case. A missing or bad input is one 422 naming each."""
    record = await services.offers.accept(case_id, offer_id, citizen, (body or OfferAccept()).data)
    return record.view()


@router.post("/{case_id}/offers/{offer_id}:decline", response_model=OfferView)
async def decline_offer(
    case_id: str, offer_id: str, citizen: AnswerOfferDep, limit: CommandLimit, services: ServicesDep
) -> OfferView:
    """Decline the offer; declining again changes nothing."""
    return await services.offers.decline(case_id, offer_id, citizen)
