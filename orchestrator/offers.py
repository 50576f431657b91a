"""Offers: what OneStop proposes to a citizen after a case (the child benefit after a birth).

A record of its own (`offers`), beside the case rather than in it: the case document has one
author, its workflow, while an offer is written by the `make_offers` activity and then decided by
the citizen through the API. Each holds titles, ids and the names of the inputs it pre-fills,
never a value; the citizen is named by pseudonym, as in the data-use log.

An offer is `open` until accepted, declined or `expires_at` passes; an expired one reads
`expired` (and is stored so the first time anyone acts on it) and can no longer be decided.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.definition import OfferRule
from orchestrator.errors import NotFound
from orchestrator.mongo import Document


class OfferStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"


class OfferView(BaseModel):
    """An offer as its citizen sees it on the case (`GET /v1/cases/{id}`)."""

    id: str = Field(description="the rule's id in the case's definition")
    service: str = Field(description="the life event accepting it starts")
    title: str
    description: str = ""
    status: OfferStatus
    prefilled: list[str] = Field(default_factory=list, description="inputs of the service it pre-fills")
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    accepted_case_id: str | None = None


class OfferRecord(OfferView):
    case_id: str
    citizen: str = Field(description="the citizen's pseudonym")
    prefill: dict[str, str] = Field(default_factory=dict, description="service input -> source")

    def view(self, now: datetime) -> OfferView:
        shown = OfferView.model_validate(self.model_dump(include=set(OfferView.model_fields)))
        if shown.status is OfferStatus.open and now >= self.expires_at:
            shown.status = OfferStatus.expired
        return shown


class OfferNotFound(NotFound):
    def __init__(self, case_id: str, offer_id: str) -> None:
        super().__init__(f"case {case_id} has no offer {offer_id!r}")


class OfferStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._offers = db.offers

    async def make(self, case_id: str, citizen: str, rule: OfferRule, now: datetime) -> bool:
        """Record the offer once: a retried activity (or a replayed case) adds nothing."""
        record = OfferRecord(
            id=rule.id,
            case_id=case_id,
            citizen=citizen,
            service=rule.service,
            title=rule.title,
            description=rule.description,
            status=OfferStatus.open,
            prefill=dict(rule.prefill),
            prefilled=list(rule.prefill),
            created_at=now,
            expires_at=now + timedelta(days=rule.expires_days),
        )
        try:
            await self._offers.insert_one({"_id": _key(case_id, rule.id), **record.model_dump(mode="python")})
        except DuplicateKeyError:
            return False
        return True

    async def for_case(self, case_id: str) -> list[OfferRecord]:
        cursor = self._offers.find({"case_id": case_id}).sort("created_at", ASCENDING)
        return [OfferRecord.model_validate(doc) async for doc in cursor]

    async def get(self, case_id: str, offer_id: str) -> OfferRecord:
        doc = await self._offers.find_one({"_id": _key(case_id, offer_id)})
        if doc is None:
            raise OfferNotFound(case_id, offer_id)
        return OfferRecord.model_validate(doc)

    async def decide(
        self, record: OfferRecord, status: OfferStatus, at: datetime, accepted_case_id: str | None = None
    ) -> OfferRecord | None:
        """Move an open offer to `status`; None when it was decided meanwhile (the caller re-reads)."""
        doc = await self._offers.find_one_and_update(
            {"_id": _key(record.case_id, record.id), "status": OfferStatus.open.value},
            {"$set": {"status": status.value, "decided_at": at, "accepted_case_id": accepted_case_id}},
            return_document=ReturnDocument.AFTER,
        )
        return OfferRecord.model_validate(doc) if doc is not None else None


def now() -> datetime:
    return datetime.now(UTC)


def _key(case_id: str, offer_id: str) -> str:
    return f"{case_id}:{offer_id}"
