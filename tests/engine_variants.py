"""Engine variants for the replay guard and `onestop replay`'s check, in a module of their own:
the workflow sandbox re-imports a workflow's module, so it must not pull in HTTP clients or test
fixtures."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.contracts import CaseState, LifeEventInput

from workflows.life_event import LifeEventCase


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


@workflow.defn(name="LifeEventCase")
class CaseWithStepCount(LifeEventCase):
    """A replay-safe change: the same engine with one more query, which reads state and issues no
    command, so every recorded history replays unchanged."""

    @workflow.run
    async def run(self, input: LifeEventInput) -> CaseState:
        return await super().run(input)

    @workflow.query
    def step_count(self) -> int:
        return len(self.state().steps)


@workflow.defn(name="LifeEventCase")
class TimerOnlyCase:
    """Another engine under the same name that only waits on a timer and ends: its histories stand
    for cases recorded by a release the current engine cannot carry on."""

    @workflow.run
    async def run(self, input: LifeEventInput) -> None:
        await workflow.sleep(timedelta(milliseconds=10))
