"""The follow-ups' read model (`follow_ups`, one document per case's schedule, written only by its
`FollowUpSchedule` workflow) and the notification outbox (`notifications`, one record per
follow-up when it is due, for whatever sends messages to read). Both name the citizen by
pseudonym and hold titles and times, never a personal value.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.anticipation import FollowUpNotice, FollowUpState
from orchestrator.mongo import Document


class Notification(FollowUpNotice):
    created_at: datetime


class FollowUpStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._schedules = db.follow_ups
        self._outbox = db.notifications

    async def project(self, state: FollowUpState) -> None:
        """Write the schedule unless a newer revision is stored (a retried, late write)."""
        with contextlib.suppress(DuplicateKeyError):  # stored already at this revision or a newer one
            await self._schedules.update_one(
                {"_id": state.case_id, "revision": {"$lt": state.revision}},
                {"$set": state.model_dump(mode="python")},
                upsert=True,
            )

    async def notify(self, notice: FollowUpNotice) -> None:
        """One outbox record per follow-up, however often the activity is retried."""
        record = Notification(**notice.model_dump(), created_at=datetime.now(UTC))
        key = f"{notice.case_id}:{notice.follow_up_id}"
        with contextlib.suppress(DuplicateKeyError):
            await self._outbox.insert_one({"_id": key, **record.model_dump(mode="python")})

    async def get(self, case_id: str) -> FollowUpState | None:
        doc = await self._schedules.find_one({"_id": case_id})
        return FollowUpState.model_validate(doc) if doc is not None else None

    async def for_citizen(self, citizen: str, limit: int = 200) -> list[FollowUpState]:
        cursor = self._schedules.find({"citizen_id": citizen}).sort("_id", ASCENDING).limit(limit)
        return [FollowUpState.model_validate(doc) async for doc in cursor]

    async def notifications(self, case_id: str) -> list[Notification]:
        cursor = self._outbox.find({"case_id": case_id}).sort("due_at", ASCENDING)
        return [Notification.model_validate(doc) async for doc in cursor]
