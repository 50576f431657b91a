"""Definitions as cases were pinned to them, stored once by content digest.

A case records the digest, not a copy: the case document stays small (it is updated at every
step), and the exact definition a case started with can always be read back, even after the
catalog file changed without a version bump. `versions` lists what was pinned of one life event,
for `onestop catalog diff`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.definition import LifeEventDefinition
from orchestrator.errors import CaseNotFound
from orchestrator.mongo import Document


class PinnedDefinition(BaseModel):
    digest: str
    definition: LifeEventDefinition
    pinned_at: datetime | None = None  # None for a definition stored before this was kept


class DefinitionStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._definitions = db.definitions
        self._known: dict[str, LifeEventDefinition] = {}

    async def pin(self, definition: LifeEventDefinition) -> str:
        """Store the definition once per digest (a no-op after the first case that uses it)."""
        digest = definition.digest
        if digest not in self._known:
            await self._definitions.update_one(
                {"_id": digest},
                {
                    "$setOnInsert": {
                        "definition": definition.model_dump(mode="json"),
                        "pinned_at": datetime.now(UTC),
                    }
                },
                upsert=True,
            )
            self._known[digest] = definition
        return digest

    async def get(self, digest: str) -> LifeEventDefinition:
        if digest not in self._known:
            doc = await self._definitions.find_one({"_id": digest})
            if doc is None:
                raise CaseNotFound(f"definition {digest}")
            # Tolerant (the model's default): a pinned definition may hold a field since removed.
            self._known[digest] = LifeEventDefinition.model_validate(doc["definition"])
        return self._known[digest]

    async def versions(self, type_: str, limit: int = 200) -> list[PinnedDefinition]:
        """Every definition of `type_` a case was pinned to, oldest first (version, then when)."""
        cursor = self._definitions.find({"definition.type": type_}).limit(limit)
        found = [
            PinnedDefinition(
                digest=doc["_id"],
                definition=LifeEventDefinition.model_validate(doc["definition"]),
                pinned_at=_aware(doc.get("pinned_at")),
            )
            async for doc in cursor
        ]
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(found, key=lambda p: (p.definition.version, p.pinned_at or oldest))


def _aware(at: datetime | None) -> datetime | None:
    """MongoDB hands datetimes back naive (in UTC)."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
