"""How a case stops: a failure elsewhere ends waits at once, a Temporal-level cancel cannot
stop an undo half-way, and a review may go back to the citizen before the agency decides."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from orchestrator.cases import CaseStatus, StepStatus, WaitingFor
from orchestrator.contracts import AnswerInput, CancelInput, DecisionInput
from orchestrator.definition import StepKind
from tests.workflow_harness import (
    FakeAgencies,
    case,
    definition,
    register_then_review,
    state_while_compensating,
    step,
    timer_started,
    until,
    view,
)
from workflows.life_event import LifeEventWorkflow


async def test_required_failure_ends_a_wait_elsewhere_at_once(env: WorkflowEnvironment) -> None:
    """A doomed case does not keep a citizen question open for 30 days before undoing itself."""
    fakes = FakeAgencies(fail_steps={"tax": "rejected"})
    event = definition(
        step("register", compensation="unregister"),
        step("school", kind=StepKind.citizen_input, asks=["school"], wait_days=30, depends_on=["register"]),
        step("tax", depends_on=["register"]),
    )
    async with case(env, fakes, event) as handle:
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    school = view(result, "school")
    assert school.status is StepStatus.skipped
    assert school.started_at is not None and school.finished_at is not None
    assert school.finished_at - school.started_at < timedelta(days=1)
    assert fakes.compensated_ids == ["register"]
    assert "school" not in fakes.step_ids


async def test_temporal_cancel_during_compensation_still_undoes_everything(env: WorkflowEnvironment) -> None:
    """An operator's cancel from the Temporal UI mid-undo must not leave half the agencies undone."""
    fakes = FakeAgencies(fail_steps={"c": "rejected"}, hold_compensations=True)
    event = definition(
        step("a", compensation="undo_a"),
        step("b", depends_on=["a"], compensation="undo_b"),
        step("c", depends_on=["b"]),
    )
    async with case(env, fakes, event) as handle:
        async with asyncio.timeout(10):
            await fakes.compensating.wait()
        await handle.cancel()
        await asyncio.sleep(0.2)  # let the cancel reach the workflow while the undo is held
        fakes.release.set()
        result = await handle.result()

    assert fakes.compensated_ids == ["b", "a"]
    assert result.status is CaseStatus.compensated
    assert fakes.outcome is not None and fakes.outcome.status is CaseStatus.compensated


async def test_agency_asks_the_citizen_then_approves(env: WorkflowEnvironment) -> None:
    """A review that needs a missing document goes back to the citizen, is submitted again as a
    new round (a new idempotency key), and only then decided."""
    fakes = FakeAgencies()
    event = register_then_review(compensation=None, asks=["certificate"])
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        ask = DecisionInput(
            step_id="review", approved=False, request_input=["certificate"], decided_by="clerk"
        )
        await handle.signal(LifeEventWorkflow.decide, ask)
        await until(
            lambda: any(p.step_id == "review" and p.asked_fields == ["certificate"] for p in fakes.progress)
        )
        waiting = await handle.query(LifeEventWorkflow.state)
        assert view(waiting, "review").waiting_for is WaitingFor.citizen
        await handle.signal(
            LifeEventWorkflow.provide_input, AnswerInput(step_id="review", fields=["certificate"])
        )
        await until(lambda: [r.round for r in fakes.steps if r.step_id == "review"] == [0, 1])
        approve = DecisionInput(step_id="review", approved=True, decided_by="clerk")
        await handle.signal(LifeEventWorkflow.decide, approve)
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert view(result, "review").status is StepStatus.succeeded
    assert any(e.event == "agency_asked" for e in result.timeline)


async def test_review_interrupted_by_cancel_is_withdrawn(env: WorkflowEnvironment) -> None:
    """A submission under review when the citizen cancels is withdrawn with the rest."""
    fakes = FakeAgencies(hold_compensations=True)
    async with case(env, fakes, register_then_review()) as handle:
        await timer_started(handle)
        await handle.signal(LifeEventWorkflow.cancel, CancelInput(requested_by="c-1"))
        during = await state_while_compensating(handle, fakes)
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    assert fakes.compensated_ids == ["review", "register"]
    assert view(during, "review").status is StepStatus.skipped


async def test_temporal_cancel_while_waiting_cancels_the_case(env: WorkflowEnvironment) -> None:
    """A cancel from the Temporal UI is a cancel like the citizen's: drain, undo, record."""
    fakes = FakeAgencies()
    event = definition(
        step("register", compensation="unregister"),
        step("school", kind=StepKind.citizen_input, asks=["school"], depends_on=["register"]),
    )
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await handle.cancel()
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    assert fakes.compensated_ids == ["register"]
    assert view(result, "school").status is StepStatus.skipped
    assert fakes.outcome is not None and fakes.outcome.status is CaseStatus.cancelled
    assert any(e.event == "cancel_requested" and e.detail == "temporal_cancel" for e in result.timeline)


async def test_optional_step_that_reached_its_agency_is_undone_on_a_completed_case(
    env: WorkflowEnvironment,
) -> None:
    """An optional review that timed out may be held by its agency: the case completes, and
    that submission alone is withdrawn."""
    fakes = FakeAgencies()
    event = register_then_review(required=False, wait_days=1)
    async with case(env, fakes, event) as handle:
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert fakes.compensated_ids == ["review"]
    assert view(result, "register").status is StepStatus.succeeded


async def test_every_round_of_a_resubmitted_review_is_withdrawn(env: WorkflowEnvironment) -> None:
    """A review resubmitted once holds two submissions at its agency; a cancel undoes both."""
    fakes = FakeAgencies()
    async with case(env, fakes, register_then_review(asks=["certificate"])) as handle:
        await timer_started(handle)
        ask = DecisionInput(
            step_id="review", approved=False, request_input=["certificate"], decided_by="clerk"
        )
        await handle.signal(LifeEventWorkflow.decide, ask)
        await handle.signal(LifeEventWorkflow.decide, ask)  # sent twice: must not decide round 1
        await until(lambda: any(p.asked_fields == ["certificate"] for p in fakes.progress))
        await handle.signal(
            LifeEventWorkflow.provide_input, AnswerInput(step_id="review", fields=["certificate"])
        )
        await until(lambda: [r.round for r in fakes.steps if r.step_id == "review"] == [0, 1])
        state = await handle.query(LifeEventWorkflow.state)
        assert view(state, "review").waiting_for is WaitingFor.agency  # the duplicate did not decide
        await handle.signal(LifeEventWorkflow.cancel, CancelInput(requested_by="c-1"))
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    review_undo = next(c for c in fakes.compensations if c.step_id == "review")
    assert review_undo.rounds == 2
    assert fakes.compensated_ids == ["review", "register"]
