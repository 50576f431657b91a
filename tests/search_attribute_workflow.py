"""A workflow that only upserts a case status, in a module of its own: the workflow sandbox
re-imports a workflow's module, so it must not pull in test fixtures or server clients."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.search_attributes import STATUS


@workflow.defn
class UpsertStatus:
    """Fails its task if the server does not know OneStopStatus, so completing proves it does."""

    @workflow.run
    async def run(self, status: str) -> str:
        workflow.upsert_search_attributes([STATUS.value_set(status)])
        return status
