"""The `cases` read model: what `GET /v1/cases/{id}` answers without asking Temporal.

Written by the API when a case is accepted and by activities at each step transition (one
update each, never per poll); the workflow's final outcome overwrites the step list, so the
read model ends exactly as the workflow decided.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.cases import FINAL_CASE_STATUSES, CaseStatus, CaseView, StepStatus, StepView, TimelineEntry
from orchestrator.definition import LifeEventDefinition
from orchestrator.errors import CaseNotFound
from orchestrator.mongo import Document


def now() -> datetime:
    return datetime.now(UTC)


class CaseRecord(CaseView):
    """The stored document: the public view plus who owns it and how it was asked for."""

    citizen_id: str
    request_hash: str
    definition_id: str = Field(description="digest of the definition this case is pinned to")
    started: bool = Field(default=False, description="its workflow has written here at least once")


class CaseStore:
    """The read model's only writer and reader, so its update shapes live in one place."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db.cases

    async def create(
        self,
        case_id: str,
        citizen_id: str,
        definition: LifeEventDefinition,
        definition_id: str,
        request_hash: str,
    ) -> tuple[CaseRecord, bool]:
        """Insert a new case, or return the one already stored under that id (created=False)."""
        at = now()
        record = CaseRecord(
            case_id=case_id,
            type=definition.type,
            version=definition.version,
            status=CaseStatus.running,
            citizen_id=citizen_id,
            request_hash=request_hash,
            definition_id=definition_id,
            steps=[StepView(id=s.id, agency=s.agency, required=s.required) for s in definition.steps],
            timeline=[
                TimelineEntry(at=at, event="case_accepted", detail=f"{definition.type} v{definition.version}")
            ],
            created_at=at,
            updated_at=at,
        )
        try:
            await self._cases.insert_one({"_id": case_id, **record.model_dump(mode="python")})
        except DuplicateKeyError:
            return await self.get(case_id), False
        return record, True

    async def get(self, case_id: str) -> CaseRecord:
        doc = await self._cases.find_one({"_id": case_id})
        if doc is None:
            raise CaseNotFound(case_id)
        return CaseRecord.model_validate(doc)

    async def list_for_citizen(self, citizen_id: str, limit: int = 100) -> list[CaseRecord]:
        cursor = self._cases.find({"citizen_id": citizen_id}).sort("created_at", -1).limit(limit)
        return [CaseRecord.model_validate(doc) async for doc in cursor]

    async def unstarted_since(self, before: datetime, limit: int) -> list[CaseRecord]:
        """Running cases no workflow has written to since they were accepted before `before`."""
        query = {"status": CaseStatus.running.value, "started": False, "updated_at": {"$lt": before}}
        cursor = self._cases.find(query).sort("updated_at", 1).limit(limit)
        return [CaseRecord.model_validate(doc) async for doc in cursor]

    async def mark_started(self, case_id: str) -> None:
        await self._cases.update_one({"_id": case_id}, {"$set": {"started": True}})

    async def close_unstarted(self, case_id: str, reason: str) -> None:
        """Fail a case no workflow ever ran, unless one has started meanwhile."""
        entry = TimelineEntry(at=now(), event="case_failed", detail=reason)
        await self._cases.update_one(
            {"_id": case_id, "started": False, "status": CaseStatus.running.value},
            {
                "$set": {"status": CaseStatus.failed.value, "updated_at": now()},
                "$push": {"timeline": _dump([entry])[0]},
            },
        )

    async def record_step(
        self,
        case_id: str,
        step_id: str,
        changes: dict[str, Any],
        events: list[TimelineEntry],
        *,
        unless: frozenset[StepStatus] = frozenset(),
    ) -> None:
        """One step's transition; skipped when the step is already in a status of `unless` or
        the case is finished, so a late attempt (a worker that lost its lease) changes nothing."""
        update: dict[str, Any] = {f"steps.$.{k}": v for k, v in changes.items()}
        update["updated_at"] = now()
        update["started"] = True
        step_filter: dict[str, Any] = {"id": step_id, "status": {"$nin": sorted(s.value for s in unless)}}
        await self._cases.update_one(
            {"_id": case_id, "status": {"$nin": _FINAL}, "steps": {"$elemMatch": step_filter}},
            {"$set": update, "$addToSet": {"timeline": {"$each": _dump(events)}}},
        )

    async def add_event(self, case_id: str, event: str, detail: str, *, step: str | None = None) -> None:
        """A timeline entry written by the API (a person's note): it never passes through Temporal."""
        entry = TimelineEntry(at=now(), event=event, step=step, detail=detail)
        await self._cases.update_one(
            {"_id": case_id}, {"$push": {"timeline": entry.model_dump(mode="python", exclude_none=True)}}
        )

    async def record_outcome(
        self, case_id: str, status: CaseStatus, steps: list[StepView], events: list[TimelineEntry]
    ) -> None:
        """Set each step's final status by position; attempts and references stay as written."""
        update: dict[str, Any] = {"status": status.value, "updated_at": now(), "started": True}
        for i, step in enumerate(steps):
            update[f"steps.{i}.status"] = step.status.value
            update[f"steps.{i}.finished_at"] = step.finished_at
            update[f"steps.{i}.error"] = step.error
            update[f"steps.{i}.waiting_for"] = None
            update[f"steps.{i}.asked_fields"] = []
        await self._cases.update_one(
            {"_id": case_id}, {"$set": update, "$addToSet": {"timeline": {"$each": _dump(events)}}}
        )


_FINAL = [s.value for s in FINAL_CASE_STATUSES]


def _dump(events: list[TimelineEntry]) -> list[Document]:
    """Entries as stored. Written with $addToSet: an activity retried after its write landed
    resends the workflow's entries unchanged, and they must not appear twice."""
    return [e.model_dump(mode="python", exclude_none=True) for e in events]


__all__ = ["CaseRecord", "CaseStore", "StepStatus", "now"]
