"""How a case stops: a failure elsewhere ends waits at once, a Temporal-level cancel cannot
stop an undo half-way, and a review may go back to the citizen before the agency decides."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from orchestrator.cases import CaseStatus, StepStatus, WaitingFor, question_id
from orchestrator.contracts import AnswerInput, CancelInput, DecisionInput, SupportInput
from orchestrator.definition import StepKind
from tests.workflow_harness import (
    AGENCY,
    CITIZEN,
    SUPPORT,
    FakeAgencies,
    Handle,
    case,
    definition,
    register_then_review,
    state_while_compensating,
    step,
    timer_started,
    until,
    view,
)
from workflows.life_event import LifeEventCase

ASK = DecisionInput(step_id="review", approved=False, request_input=["certificate"], by=AGENCY)


async def _answer_certificate(handle: Handle, fakes: FakeAgencies) -> None:
    await until(
        lambda: (
            bool(fakes.projections) and view(fakes.projections[-1], "review").asked_fields == ["certificate"]
        )
    )
    state = await handle.query(LifeEventCase.state)
    assert view(state, "review").waiting_for is WaitingFor.citizen
    question = question_id(view(state, "review").asked_at)
    await handle.execute_update(
        LifeEventCase.answer,
        AnswerInput(step_id="review", fields=["certificate"], question=question, by=CITIZEN),
    )


async def test_required_failure_ends_a_wait_elsewhere_at_once(env: WorkflowEnvironment) -> None:
    """A doomed case does not keep a citizen question open for 30 days before undoing itself."""
    fakes = FakeAgencies(reject_steps={"tax": "rejected"})
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
    fakes = FakeAgencies(reject_steps={"c": "rejected"}, hold_compensations=True)
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
    event.steps.append(step("after", depends_on=["review"]))
    fakes.down.add("after")  # keeps the case open after the verdict, so its answer can be read
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await handle.execute_update(LifeEventCase.decide, ASK)
        await _answer_certificate(handle, fakes)
        await until(lambda: [r.round for r in fakes.steps if r.step_id == "review"] == [0, 1])
        await until(lambda: view(fakes.projections[-1], "review").waiting_for is WaitingFor.agency)
        approve = DecisionInput(step_id="review", approved=True, by=AGENCY)
        await handle.execute_update(LifeEventCase.decide, approve)
        fakes.down.clear()
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert view(result, "review").status is StepStatus.succeeded
    decided = [e.detail for e in result.timeline if e.event == "agency_decided"]
    assert decided == ["asked for more", "approved"]


async def test_review_interrupted_by_cancel_is_withdrawn(env: WorkflowEnvironment) -> None:
    """A submission under review when the citizen cancels is withdrawn with the rest."""
    fakes = FakeAgencies(hold_compensations=True)
    async with case(env, fakes, register_then_review()) as handle:
        await timer_started(handle)
        await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
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


async def test_a_held_optional_review_skipped_by_support_lets_the_case_complete(
    env: WorkflowEnvironment,
) -> None:
    """An optional review left undecided holds like any step; support may skip it (it is
    optional), and the case completes without it."""
    fakes = FakeAgencies()
    event = register_then_review(required=False, wait_days=1)
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=2))
        await until(
            lambda: any(view(p, "review").status is StepStatus.needs_attention for p in fakes.projections)
        )
        await handle.execute_update(
            LifeEventCase.skip_step, SupportInput(step_id="review", reason="agency_closed_file", by=SUPPORT)
        )
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert view(result, "review").status is StepStatus.skipped
    assert view(result, "register").status is StepStatus.succeeded
    assert fakes.compensations == []


async def test_every_round_of_a_resubmitted_review_is_withdrawn(env: WorkflowEnvironment) -> None:
    """A review resubmitted once holds two submissions at its agency; a cancel undoes both. A
    verdict sent twice is refused the second time, so it cannot decide the next round."""
    fakes = FakeAgencies()
    async with case(env, fakes, register_then_review(asks=["certificate"])) as handle:
        await timer_started(handle)
        await handle.execute_update(LifeEventCase.decide, ASK)
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(LifeEventCase.decide, ASK)
        await _answer_certificate(handle, fakes)
        await until(lambda: [r.round for r in fakes.steps if r.step_id == "review"] == [0, 1])
        await until(lambda: view(fakes.projections[-1], "review").waiting_for is WaitingFor.agency)
        await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    review_undo = next(c for c in fakes.compensations if c.step_id == "review")
    assert review_undo.rounds == 2
    assert fakes.compensated_ids == ["review", "register"]


async def test_state_while_compensating_helper_still_works(env: WorkflowEnvironment) -> None:
    """The rejection path, observed mid-undo: the case says `compensating`, not running."""
    fakes = FakeAgencies(reject_steps={"review": "rejected"}, hold_compensations=True)
    async with case(env, fakes, register_then_review()) as handle:
        during = await state_while_compensating(handle, fakes)
        result = await handle.result()
    assert during.status is CaseStatus.compensating
    assert result.status is CaseStatus.compensated
