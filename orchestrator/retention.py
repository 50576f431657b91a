"""Retention: a case's personal data is removed `ONESTOP_RETENTION_DAYS` after the case ended.

The worker's reconciler loop runs `sweep` (`onestop/stack.py`); a sweep rather than a TTL index,
because the case store knows when a case ended and the vault does not, and because a completed
case must first have written its updates to the citizen's profile (applied once more here, in
case the projection's attempt failed). What stays: the case view (steps, timeline, outcome) and
the data-use log, which never held values, only field names.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from orchestrator.case_store import now
from orchestrator.cases import CaseStatus
from orchestrator.profile_updates import ProfileUpdates
from orchestrator.stores import CaseStores

log = structlog.get_logger(__name__)


class Retention:
    def __init__(self, stores: CaseStores, profiles: ProfileUpdates, days: float) -> None:
        self._cases = stores.cases
        self._vault = stores.vault
        self._profiles = profiles
        self._keep = timedelta(days=days)

    async def sweep(self, limit: int = 200) -> list[str]:
        """Remove the personal data of every case ended longer ago than the retention time."""
        at = now()
        removed: list[str] = []
        for record in await self._cases.ended_before(at - self._keep, limit):
            if record.status is CaseStatus.completed:
                # The profile's last chance at what the case learnt; a failure does not keep data.
                await self._profiles.on_projection(record.case_id, record.status)
            try:
                await self._vault.remove_personal(record.case_id, at)
                await self._cases.data_removed(record.case_id, at)
            except Exception:
                log.exception("retention_failed", case_id=record.case_id)  # the next sweep tries again
                continue
            removed.append(record.case_id)
        if removed:
            log.info("personal_data_removed", cases=len(removed))
        return removed
