"""Personal case data, kept out of Temporal: the workflow carries the case id, activities read
only the fields a step's definition lists (data minimisation).

This is the seam for the once-only citizen vault (consent, data-use log) filed later.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from pydantic import JsonValue
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.mongo import Document


class CaseDataStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._data = db.case_data

    async def put(self, case_id: str, citizen_id: str, data: dict[str, Any]) -> None:
        """Idempotent: a retried trigger stores the same data again under the same case."""
        # Two concurrent upserts of one new _id can both try to insert; the loser has nothing to add.
        with contextlib.suppress(DuplicateKeyError):
            await self._data.update_one(
                {"_id": case_id}, {"$setOnInsert": {"citizen_id": citizen_id, "data": data}}, upsert=True
            )

    async def answer(self, case_id: str, question: str, data: dict[str, Any]) -> bool:
        """Store the citizen's answer to one question, once. True also when this same answer is
        stored already (a retry after the signal failed); False for a different second answer,
        which could change what a retried agency call sends under the same key."""
        key = hashlib.sha256(question.encode()).hexdigest()[:16]
        slot = f"answers.{key}"
        result = await self._data.update_one(
            {"_id": case_id, slot: {"$exists": False}},
            {"$set": {**{f"data.{k}": v for k, v in data.items()}, slot: data}},
        )
        if result.matched_count == 1:
            return True
        doc = await self._data.find_one({"_id": case_id}, {slot: 1}) or {}
        return bool(doc.get("answers", {}).get(key) == data)

    async def exists(self, case_id: str) -> bool:
        return await self._data.count_documents({"_id": case_id}, limit=1) == 1

    async def facts(self, case_id: str, names: list[str]) -> dict[str, JsonValue]:
        """The non-personal facts a workflow starts with: every name, null when not given."""
        given = await self.fields(case_id, names)
        return {n: given.get(n) for n in names}

    async def request(self, case_id: str, names: list[str]) -> tuple[str | None, dict[str, Any]]:
        """The citizen's identity number and the fields `names`, in one read: what an agency
        request carries (Temporal knows the citizen by a pseudonym only)."""
        projection = {"citizen_id": 1, **{f"data.{n}": 1 for n in names}}
        doc = await self._data.find_one({"_id": case_id}, projection)
        if doc is None:
            return None, {}
        data: dict[str, Any] = doc.get("data", {})
        return doc.get("citizen_id"), {n: data[n] for n in names if data.get(n) is not None}

    async def fields(self, case_id: str, names: list[str]) -> dict[str, Any]:
        """Only `names`, and only those the citizen gave (absent optional fields stay absent)."""
        if not names:
            return {}
        projection = {f"data.{n}": 1 for n in names}
        doc = await self._data.find_one({"_id": case_id}, projection)
        if doc is None:
            return {}
        data: dict[str, Any] = doc.get("data", {})
        return {n: data[n] for n in names if data.get(n) is not None}
