"""Definitions as cases were pinned to them, stored once by content digest.

A case records the digest, not a copy: the case document stays small (it is updated at every
step), and the exact definition a case started with can always be read back, even after the
catalog file changed without a version bump.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.definition import LifeEventDefinition
from orchestrator.errors import CaseNotFound
from orchestrator.mongo import Document


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
                {"$setOnInsert": {"definition": definition.model_dump(mode="json")}},
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
