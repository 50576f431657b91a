"""Citizen profiles in MongoDB (`profiles`), keyed by the citizen's pseudonym, so the collection
holds no identity number; every field's value sealed on its own, bound to its citizen and field.

Changes are read, changed and written back under a version number: a completed case adding a
child and the citizen's own PATCH arriving together both land (the loser retries on the new
version). A case's updates are applied once: its id is kept in `applied`, so a projection
repeated after a retry or a resync changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.errors import Unavailable
from orchestrator.mongo import Document
from orchestrator.profile import CitizenProfile
from orchestrator.sealing import FieldSealer

_ATTEMPTS = 5


class ProfileStore:
    def __init__(self, db: AsyncDatabase[Document], sealer: FieldSealer) -> None:
        self._profiles = db.profiles
        self._sealer = sealer

    async def get(self, pseudonym: str) -> CitizenProfile:
        """The citizen's profile; an empty one for a citizen OneStop knows nothing of yet."""
        return self._profile(pseudonym, await self._profiles.find_one({"_id": pseudonym}))

    async def change(
        self, pseudonym: str, edit: Callable[[CitizenProfile], CitizenProfile], *, case_id: str | None = None
    ) -> CitizenProfile:
        """Apply `edit` to the stored profile; with `case_id`, once for that case."""
        for _ in range(_ATTEMPTS):
            doc = await self._profiles.find_one({"_id": pseudonym})
            current = self._profile(pseudonym, doc)
            if case_id is not None and doc is not None and case_id in doc.get("applied", []):
                return current
            fresh = edit(current)
            version = int(doc.get("version", 0)) if doc else 0
            fields = self._sealed(pseudonym, fresh)
            at = datetime.now(UTC)
            if doc is None:
                try:
                    applied = [case_id] if case_id else []
                    await self._profiles.insert_one(
                        {
                            "_id": pseudonym,
                            "fields": fields,
                            "version": 1,
                            "applied": applied,
                            "updated_at": at,
                        }
                    )
                    return fresh
                except DuplicateKeyError:
                    continue  # created meanwhile: edit that one
            update: Document = {"$set": {"fields": fields, "version": version + 1, "updated_at": at}}
            if case_id is not None:
                update["$addToSet"] = {"applied": case_id}
            result = await self._profiles.update_one({"_id": pseudonym, "version": version}, update)
            if result.matched_count == 1:
                return fresh
        raise Unavailable("the profile is changing under another request: retry")

    def _sealed(self, pseudonym: str, profile: CitizenProfile) -> Document:
        values = profile.model_dump(mode="json", exclude_defaults=True)
        return self._sealer.seal_all(_scope(pseudonym), values)

    def _profile(self, pseudonym: str, doc: Document | None) -> CitizenProfile:
        if doc is None:
            return CitizenProfile()
        return CitizenProfile.model_validate(self._sealer.open_all(_scope(pseudonym), doc.get("fields", {})))


def _scope(pseudonym: str) -> str:
    return f"profile:{pseudonym}"
