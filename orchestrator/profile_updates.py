"""The profile and the cases, both ways: a new case is pre-filled from the profile, and a
completed one writes back what the citizen told it (the new address, the child just born).

The write-back happens OneStop-side, where the read model learns that a case completed (the
projection activity, the reconciler's resync, and the retention sweep before a case's data
goes); the workflow, the one author of case state, never writes the profile and issues no
command for it. Applying a case twice changes nothing (`ProfileStore.change(case_id=...)`).
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from pydantic import JsonValue

from orchestrator.cases import CaseStatus
from orchestrator.definition import LifeEventDefinition
from orchestrator.profile import CitizenProfile
from orchestrator.profile_store import ProfileStore
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.stores import CaseStores

log = structlog.get_logger(__name__)


def prefill(
    definition: LifeEventDefinition, profile: CitizenProfile, data: Mapping[str, JsonValue]
) -> dict[str, JsonValue]:
    """The profile's values for the linked inputs `data` leaves out (or sends as null)."""
    links = definition.prefilled_from()
    filled = {name: profile.value(path) for name, path in links.items() if data.get(name) is None}
    return {name: value for name, value in filled.items() if value is not None}


class ProfileUpdates:
    def __init__(self, stores: CaseStores, profiles: ProfileStore, pseudonyms: Pseudonyms) -> None:
        self._stores = stores
        self._profiles = profiles
        self._pseudonyms = pseudonyms

    async def on_projection(self, case_id: str, status: CaseStatus, updates: bool | None = None) -> None:
        """Called wherever a case's state is projected, before it is written: a citizen who
        reads the case completed finds the profile updated already. A failure is logged, not
        raised: the projection must not wait on the profile, and the retention sweep applies
        the case again before its data goes. `updates`: whether the case's definition writes
        back at all, when the caller knows (`CaseState.updates_profile`)."""
        if status is not CaseStatus.completed or updates is False:
            return
        try:
            await self.apply(case_id)
        except Exception as exc:  # never the values: the case and what failed
            log.warning("profile_update_failed", case_id=case_id, error=type(exc).__name__)

    async def apply(self, case_id: str) -> bool:
        """Write a completed case's linked inputs to its citizen's profile; True if it changed.
        The caller knows the case completed (the state being projected, or the read model)."""
        record = await self._stores.cases.get(case_id)
        definition = await self._stores.definitions.get(record.definition_id)
        links = definition.profile_updates()
        values = await self._stores.vault.fields(case_id, list(links)) if links else {}
        if not values:
            return False
        updates = {links[name]: value for name, value in values.items()}
        await self._profiles.change(
            self._pseudonyms.of(record.citizen_id), lambda p: p.updated(updates), case_id=case_id
        )
        log.info("profile_updated", case_id=case_id, fields=sorted(updates))
        return True
