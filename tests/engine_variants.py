"""Engine variants for the replay guard, in a module of their own: the workflow sandbox
re-imports a workflow's module, so it must not pull in HTTP clients or test fixtures."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.contracts import CaseState, LifeEventInput


@workflow.defn(name="LifeEventWorkflow")
class ReorderedEngine:
    """An engine change that records the outcome before running any step: not replay-safe."""

    @workflow.run
    async def run(self, input: LifeEventInput) -> CaseState:
        await workflow.execute_activity(
            "record_outcome", input.case_id, start_to_close_timeout=timedelta(seconds=5)
        )
        raise AssertionError("unreachable in replay")


@workflow.defn(name="LifeEventCase")
class ReorderedCase:
    """An engine change that waits on a timer before anything else: not replay-safe."""

    @workflow.run
    async def run(self, input: LifeEventInput) -> CaseState:
        await workflow.sleep(timedelta(seconds=1))
        raise AssertionError("unreachable in replay")
