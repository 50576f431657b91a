"""The read model's one writer: a local activity the workflow runs when its state changed.

A local activity, because one database write needs no trip through a task queue
(`../shared/bench/readmodel_cost.py`: one per wake-up keeps about 0.88 of bare Temporal).
It is also where OneStop learns that a case completed, so the citizen's profile is updated here
(`orchestrator/profile_updates.py`), just before the case's own state is written.
"""

from __future__ import annotations

from temporalio import activity

from orchestrator.case_store import CaseStore
from orchestrator.contracts import CaseState
from orchestrator.profile_updates import ProfileUpdates


class CaseProjection:
    def __init__(self, cases: CaseStore, profiles: ProfileUpdates | None = None) -> None:
        self._cases = cases
        self._profiles = profiles

    @activity.defn(name="project_case")
    async def project_case(self, state: CaseState) -> None:
        if self._profiles is not None:  # first: "completed" is read only once the profile knows
            await self._profiles.on_projection(state.case_id, state.status, state.updates_profile)
        await self._cases.project(state)
