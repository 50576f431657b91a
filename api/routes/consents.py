"""A citizen's consents: answering a step that asks for one, and the consents page's list, give
and withdraw. A consent covers an agency action and the fields it names, for every life event
that shares them by consent, until withdrawn (`orchestrator/consents.py`)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AnswerStepDep, CommandLimit, OwnConsentsDep, ServicesDep
from orchestrator.cases import CaseView
from orchestrator.consent_desk import ConsentView
from orchestrator.definition import Ident


class ConsentAnswer(BaseModel):
    given: bool = Field(description="true: share the fields the step names; false: do not (the step fails)")


class ConsentGrant(BaseModel):
    fields: list[Ident] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="default: every field a life event shares with this action by consent",
    )


class ConsentList(BaseModel):
    data: list[ConsentView]
    count: int


router = APIRouter(tags=["citizens"])


@router.post("/v1/cases/{case_id}/steps/{step_id}/consent", response_model=CaseView)
async def answer_consent(
    case_id: str,
    step_id: str,
    body: ConsentAnswer,
    citizen: AnswerStepDep,
    limit: CommandLimit,
    services: ServicesDep,
) -> CaseView:
    """Answer the consent question a step asks now: given, the share goes ahead (and the consent
    is kept for later cases); declined, the step fails (a required one rolls the case back)."""
    return await services.consents.answer(case_id, step_id, citizen, body.given)


@router.get("/v1/me/consents", response_model=ConsentList)
async def list_consents(citizen: OwnConsentsDep, services: ServicesDep) -> ConsentList:
    """Every consent the caller gave, withdrawn ones too (with when)."""
    consents = await services.consents.of(citizen)
    return ConsentList(data=consents, count=len(consents))


@router.put("/v1/me/consents/{agency}/{action}", response_model=ConsentView)
async def give_consent(
    agency: str,
    action: str,
    citizen: OwnConsentsDep,
    limit: CommandLimit,
    services: ServicesDep,
    body: ConsentGrant | None = None,
) -> ConsentView:
    """Consent ahead of a case; giving it again widens or renews it."""
    return await services.consents.give(citizen, agency, action, (body or ConsentGrant()).fields)


@router.delete("/v1/me/consents/{agency}/{action}", response_model=ConsentView)
async def withdraw_consent(
    agency: str, action: str, citizen: OwnConsentsDep, limit: CommandLimit, services: ServicesDep
) -> ConsentView:
    """Withdraw a consent: the next share asks again; shares already made stay in the log."""
    return await services.consents.withdraw(citizen, agency, action)
