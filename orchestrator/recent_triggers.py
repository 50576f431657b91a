"""Identical life-event reports without an Idempotency-Key, deduplicated for a short window.

A double click, or a client that retries blindly after a timeout, sends the same report twice; 5
such repeats once started 5 cases and 24 duplicate agency actions. Within the window (10 minutes
by default) the same citizen reporting the same type with the same data gets the first case back;
after it, the same report is a new case. A client that needs exact control sends its own key.

One document per (citizen, request digest) holds the case id until the window closes. Claiming
it is one atomic upsert, so two simultaneous repeats cannot both create a case. The citizen's id
is kept only inside a digest of the citizen and the request, never in clear.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.mongo import Document, unjournaled


class RecentTriggers:
    def __init__(self, db: AsyncDatabase[Document], window_seconds: int) -> None:
        # Unjournaled: the case's data, written next and journaled, makes the claim durable too.
        self._claims = unjournaled(db, "recent_triggers")
        self._window = timedelta(seconds=window_seconds)

    async def claim(self, citizen_id: str, request_hash: str, new_case_id: str) -> str:
        """The case this report belongs to: an identical recent one's, or `new_case_id`."""
        if not self._window:
            return new_case_id
        key = hashlib.sha256(f"{citizen_id}\x00{request_hash}".encode()).hexdigest()
        now = datetime.now(UTC)
        try:
            doc = await self._claims.find_one_and_update(
                {"_id": key, "until": {"$lt": now}},  # only an expired claim may be taken over
                {"$set": {"case_id": new_case_id, "until": now + self._window}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # a live claim exists: the upsert could not take its key
            doc = await self._claims.find_one({"_id": key})
        if doc is None:  # claimed and expired meanwhile: a new case is right
            return new_case_id
        case_id: str = doc["case_id"]
        return case_id
