"""The read model's one writer: a local activity the workflow runs when its state changed.

A local activity, because one database write needs no trip through a task queue
(`../shared/bench/readmodel_cost.py`: one per wake-up keeps about 0.88 of bare Temporal).
"""

from __future__ import annotations

from temporalio import activity

from orchestrator.case_store import CaseStore
from orchestrator.contracts import CaseState


class CaseProjection:
    def __init__(self, cases: CaseStore) -> None:
        self._cases = cases

    @activity.defn(name="project_case")
    async def project_case(self, state: CaseState) -> None:
        await self._cases.project(state)
