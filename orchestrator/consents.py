"""The citizen's consents: which agency may receive which of their fields for which action.

A step whose legal basis is consent shares only fields a consent covers; the data exchange checks
it before anything leaves (`DataExchange.release`). Consents are kept per citizen (by pseudonym),
agency and action, not per case: that is what makes the principle "once only" hold for consent
too, since the next life event that shares the same fields with the same agency asks nothing.
A withdrawal is kept as a state of the record, never a deletion, and takes effect on the next
share (shares already made stay in the data-use log).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.mongo import Document


class ConsentState(StrEnum):
    given = "given"
    withdrawn = "withdrawn"


class Consent(BaseModel):
    citizen: str = Field(description="the citizen's pseudonym")
    agency: str
    action: str
    fields: list[str] = Field(description="the case fields the agency may receive for this action")
    state: ConsentState
    purpose: str = ""
    given_at: datetime
    withdrawn_at: datetime | None = None
    case_id: str | None = Field(default=None, description="the case whose question it answered, if any")


class ConsentStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._consents = db.consents

    async def missing(self, citizen: str, agency: str, action: str, fields: list[str]) -> list[str]:
        """The fields of a share that no given consent covers (none: the share may go)."""
        doc = await self._consents.find_one({"_id": _key(citizen, agency, action), "state": "given"})
        covered = set(doc["fields"]) if doc else set()
        return sorted(set(fields) - covered)

    async def give(
        self,
        citizen: str,
        agency: str,
        action: str,
        fields: list[str],
        *,
        purpose: str = "",
        case_id: str | None = None,
    ) -> Consent:
        """Give (or widen) a consent; fields already consented to stay consented."""
        key = _key(citizen, agency, action)
        now = datetime.now(UTC)
        current = await self._consents.find_one({"_id": key, "state": "given"})
        kept = set(current["fields"]) if current else set()
        doc = await self._consents.find_one_and_update(
            {"_id": key},
            {
                "$set": {
                    "citizen": citizen,
                    "agency": agency,
                    "action": action,
                    "fields": sorted(kept | set(fields)),
                    "state": ConsentState.given.value,
                    "purpose": purpose,
                    "given_at": now,
                    "withdrawn_at": None,
                    "case_id": case_id,
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return Consent.model_validate(doc)

    async def withdraw(self, citizen: str, agency: str, action: str) -> Consent | None:
        """None when no consent was given; withdrawing twice keeps the first withdrawal's time."""
        key = _key(citizen, agency, action)
        await self._consents.update_one(
            {"_id": key, "state": "given"},
            {"$set": {"state": ConsentState.withdrawn.value, "withdrawn_at": datetime.now(UTC)}},
        )
        doc = await self._consents.find_one({"_id": key})
        return Consent.model_validate(doc) if doc else None

    async def for_citizen(self, citizen: str) -> list[Consent]:
        cursor = self._consents.find({"citizen": citizen}).sort(
            [("agency", ASCENDING), ("action", ASCENDING)]
        )
        return [Consent.model_validate(d) async for d in cursor]


def _key(citizen: str, agency: str, action: str) -> str:
    return f"{citizen}|{agency}|{action}"
