"""The `cases` read model: what `GET /v1/cases/{id}` answers without asking Temporal.

A projection of the workflow's own state (`project`), written by the workflow alone and
rebuildable from Temporal at any time (`onestop cases resync`). The API writes only what never
passes through Temporal: the case's acceptance and people's free-text notes, kept apart in
`notes` so a projection never overwrites them; a reader sees both merged in time order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.cases import (
    FINAL_CASE_STATUSES,
    CaseStatus,
    CaseView,
    StepStatus,
    StepView,
    TimelineEntry,
    effective_status,
)
from orchestrator.contracts import CaseState
from orchestrator.definition import LifeEventDefinition
from orchestrator.errors import CaseNotFound
from orchestrator.mongo import Document, unjournaled


def now() -> datetime:
    return datetime.now(UTC)


class CaseRecord(CaseView):
    """The stored document: the public view plus who owns it and how it was asked for."""

    citizen_id: str
    request_hash: str
    definition_id: str = Field(description="digest of the definition this case is pinned to")
    started: bool = Field(default=False, description="its workflow has written here at least once")
    notes: list[TimelineEntry] = Field(default_factory=list, description="entries the API wrote")
    revision: int = 0
    revision_at: datetime | None = Field(default=None, description="workflow time of the projection")
    revision_key: str = Field(default="", description="orders projections: workflow time, then revision")

    def asked_by(self, citizen_id: str, request_hash: str) -> bool:
        """Whether this case is the one this citizen's request (by its hash) asked for."""
        return (self.citizen_id, self.request_hash) == (citizen_id, request_hash)

    def view(self) -> CaseView:
        """The public view: workflow timeline and notes merged in time order."""
        view = CaseView.model_validate(self.model_dump(include=set(CaseView.model_fields)))
        view.status = effective_status(view.status, view.steps)
        view.timeline = sorted([*self.timeline, *self.notes], key=lambda e: e.at)
        return view


class CaseStore:
    """The read model's only writer and reader, so its update shapes live in one place."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db.cases
        # Projections skip the journal: each one can be rebuilt from Temporal (the next wake-up's
        # write or the sweep repairs a lost one), and a journaled write per wake-up cost the
        # serial case 60% more latency here. The outcome is journaled: no later write follows it,
        # and a database crash that lost it left a completed case `running` until the sweep (a
        # flaky `test_mongo_outage`). A new case is journaled by the citizen's data, the intake's
        # next and last write (`unjournaled`), or by its own journaled insert beside that write.
        self._unjournaled = unjournaled(db, "cases")

    async def create(
        self,
        case_id: str,
        citizen_id: str,
        definition: LifeEventDefinition,
        definition_id: str,
        request_hash: str,
        agency_titles: dict[str, str] | None = None,
        linked_from: str | None = None,
        *,
        journaled: bool = False,
    ) -> tuple[CaseRecord, bool]:
        """Insert a new case, or return the one already stored under that id (created=False);
        `linked_from`: the case whose offer the citizen accepted to start this one. Unjournaled
        unless `journaled`: the caller's next write, journaled, makes it durable before anyone is
        answered. A caller that sends a journaled write beside this one, not after it, journals
        both: the other's flush may come before this one is in the log."""
        at = now()
        record = CaseRecord(
            case_id=case_id,
            type=definition.type,
            version=definition.version,
            status=CaseStatus.running,
            citizen_id=citizen_id,
            request_hash=request_hash,
            definition_id=definition_id,
            steps=[
                StepView(
                    id=s.id,
                    agency=s.agency,
                    title=s.title,
                    agency_title=(agency_titles or {}).get(s.agency, ""),
                    required=s.required,
                )
                for s in definition.steps
            ],
            notes=[
                TimelineEntry(at=at, event="case_accepted", detail=f"{definition.type} v{definition.version}")
            ],
            created_at=at,
            updated_at=at,
            linked_from=linked_from,
        )
        try:
            target = self._cases if journaled else self._unjournaled
            await target.insert_one({"_id": case_id, **record.model_dump(mode="python")})
        except DuplicateKeyError:
            return await self.get(case_id), False
        return record, True

    async def get(self, case_id: str) -> CaseRecord:
        doc = await self._cases.find_one({"_id": case_id})
        if doc is None:
            raise CaseNotFound(case_id)
        return CaseRecord.model_validate(doc)

    async def list_for_citizen(
        self,
        citizen_id: str,
        limit: int = 100,
        *,
        where: Document | None = None,
        after: CaseRecord | None = None,
    ) -> list[CaseRecord]:
        """Newest first (then by id); `where`: further conditions, `after`: the previous page's last."""
        clauses: list[Document] = [{"citizen_id": citizen_id}, *([where] if where else [])]
        if after is not None:
            older = {"created_at": {"$lt": after.created_at}}
            clauses.append({"$or": [older, {"created_at": after.created_at, "_id": {"$lt": after.case_id}}]})
        order = [("created_at", -1), ("_id", -1)]
        cursor = self._cases.find({"$and": clauses}).sort(order).limit(limit)
        return [CaseRecord.model_validate(doc) async for doc in cursor]

    async def waiting_on_agency(self, agency: str, type_: str | None, limit: int) -> list[CaseRecord]:
        """Open cases with a step of `agency` waiting or held: its work list's candidates."""
        step = {
            "agency": agency,
            "status": {"$in": [StepStatus.waiting.value, StepStatus.needs_attention.value]},
        }
        query: Document = {"status": {"$nin": _FINAL}, "steps": {"$elemMatch": step}}
        if type_:
            query["type"] = type_
        cursor = self._cases.find(query, {"notes": 0}).limit(limit)
        return [CaseRecord.model_validate(doc) async for doc in cursor]

    async def retrying_on(self, agency: str, limit: int) -> list[str]:
        """Open cases with a step backing off before its next call to `agency`."""
        step = {"agency": agency, "status": StepStatus.waiting.value, "next_attempt_at": {"$exists": True}}
        query: Document = {"status": {"$nin": _FINAL}, "steps": {"$elemMatch": step}}
        return [doc["_id"] async for doc in self._cases.find(query, {"_id": 1}).limit(limit)]

    async def unstarted_since(self, before: datetime, limit: int) -> list[CaseRecord]:
        """Running cases no workflow has written to since they were accepted before `before`."""
        query = {"status": CaseStatus.running.value, "started": False, "updated_at": {"$lt": before}}
        cursor = self._cases.find(query).sort("updated_at", 1).limit(limit)
        return [CaseRecord.model_validate(doc) async for doc in cursor]

    async def close_unstarted(self, case_id: str, reason: str) -> None:
        """Fail a case no workflow ever ran, unless one has started meanwhile."""
        entry = TimelineEntry(at=now(), event="case_failed", detail=reason)
        await self._cases.update_one(
            {"_id": case_id, "started": False, "status": CaseStatus.running.value},
            {
                "$set": {"status": CaseStatus.failed.value, "updated_at": now()},
                "$push": {"notes": _dump([entry])[0]},
            },
        )

    async def add_event(self, case_id: str, event: str, detail: str, *, step: str | None = None) -> None:
        """A note written by the API (a person's words): it never passes through Temporal."""
        entry = TimelineEntry(at=now(), event=event, step=step, detail=detail)
        await self._cases.update_one({"_id": case_id}, {"$push": {"notes": _dump([entry])[0]}})

    async def project(self, state: CaseState) -> bool:
        """Write the workflow's state, unless a newer one is stored already: a retried or late
        write (a worker that lost its lease, a run replaced by a reset) cannot move a case back.
        Ordered by one sortable key, (workflow time, revision), compared in a single condition
        beside `_id` (an `$or` there cost the MongoDB-wire server 30 ms of CPU per case); equal
        keys are rewritten, so a resync is idempotent."""
        key = projection_key(state)
        final = state.status in FINAL_CASE_STATUSES
        result = await (self._cases if final else self._unjournaled).update_one(
            {"_id": state.case_id, "revision_key": {"$lte": key}},
            {
                "$set": {
                    "status": state.status.value,
                    "steps": [s.model_dump(mode="python", exclude_defaults=True) for s in state.steps],
                    "timeline": _dump(state.timeline),
                    "revision": state.revision,
                    "revision_at": state.as_of,
                    "revision_key": key,
                    "started": True,
                    "updated_at": now(),
                }
            },
        )
        return result.matched_count == 1

    async def open_since(self, before: datetime, limit: int) -> list[CaseRecord]:
        """Open cases whose projection has not moved since `before`: candidates for a resync."""
        query = {"status": {"$nin": _FINAL}, "started": True, "updated_at": {"$lt": before}}
        cursor = self._cases.find(query).sort("updated_at", 1).limit(limit)
        return [CaseRecord.model_validate(doc) async for doc in cursor]

    async def open_on(self, type_: str, digests: list[str]) -> dict[str, int]:
        """How many cases of `type_` that are not final are pinned to each definition digest."""
        query: Document = {"type": type_, "status": {"$nin": _FINAL}}
        return {d: await self._cases.count_documents({**query, "definition_id": d}) for d in digests}

    async def ended_before(self, before: datetime, limit: int) -> list[CaseRecord]:
        """Cases that ended (final status) before `before` and still hold personal data: what
        retention removes. The last projection's time stands for the end (a later resync only
        moves it later, never earlier)."""
        query = {"status": {"$in": _FINAL}, "updated_at": {"$lt": before}, "personal_data_removed_at": None}
        cursor = self._cases.find(query, {"notes": 0, "timeline": 0}).sort("updated_at", 1).limit(limit)
        return [CaseRecord.model_validate(doc) async for doc in cursor]

    async def data_removed(self, case_id: str, at: datetime) -> None:
        """Retention's mark: the case's personal data is gone; the rest of the view stays."""
        await self._cases.update_one({"_id": case_id}, {"$set": {"personal_data_removed_at": at}})

    async def all_ids(self, limit: int) -> list[str]:
        return [doc["_id"] async for doc in self._cases.find({}, {"_id": 1}).limit(limit)]


_FINAL = [s.value for s in FINAL_CASE_STATUSES]


def projection_key(state: CaseState) -> str:
    """Sorts as (workflow time, revision): a reset's new run continues at a later workflow time
    with a lower revision, and must win over the run it replaced."""
    at = state.as_of.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f") if state.as_of else ""
    return f"{at}:{state.revision:010d}"


def _dump(events: list[TimelineEntry]) -> list[Document]:
    return [e.model_dump(mode="python", exclude_none=True) for e in events]


__all__ = ["CaseRecord", "CaseStore", "StepStatus", "now"]
