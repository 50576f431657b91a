"""LifeEventWorkflow's durable waits, cancels, optional steps and saga, on Temporal's
time-skipping test server: days of waiting take milliseconds, and fake activities record what
the workflow asked of the agencies, so each test asserts behaviour rather than timing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from orchestrator.cases import CaseStatus, StepStatus
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
    view,
)
from workflows.life_event import LifeEventWorkflow


async def test_agency_decision_within_wait_completes_the_case(env: WorkflowEnvironment) -> None:
    """A review may take days: the case sits in `waiting` until the agency decides."""
    fakes = FakeAgencies()
    event = definition(
        step("register", compensation="unregister"),
        step("review", kind=StepKind.agency_review, depends_on=["register"], wait_days=10),
    )
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=9))
        state = await handle.query(LifeEventWorkflow.state)
        assert state.status is CaseStatus.waiting
        assert view(state, "review").status is StepStatus.waiting
        assert view(state, "register").status is StepStatus.succeeded
        started = view(state, "review").started_at
        assert started is not None and await env.get_current_time() - started >= timedelta(days=9)

        await handle.signal(
            LifeEventWorkflow.decide,
            DecisionInput(step_id="review", approved=True, reason="fine", decided_by="clerk-7"),
        )
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert [s.status for s in result.steps] == [StepStatus.succeeded, StepStatus.succeeded]
    assert view(result, "review").reference == "ref-review"
    assert fakes.step_ids == ["register", "review"]
    assert fakes.steps[1].await_decision
    assert fakes.compensations == []
    assert [(p.step_id, p.status) for p in fakes.progress] == [("review", StepStatus.succeeded)]
    assert fakes.outcome is not None and fakes.outcome.status is CaseStatus.completed
    succeeded = [e for e in result.timeline if e.event == "step_succeeded" and e.step == "review"]
    assert len(succeeded) == 1, f"review's success is in the timeline {len(succeeded)} times"


async def test_no_agency_decision_fails_and_undoes_the_submission(env: WorkflowEnvironment) -> None:
    """Silence past wait_days fails a required review; the agency still holds the submission,
    so the review is withdrawn as well as the earlier step, newest first."""
    fakes = FakeAgencies(hold_compensations=True)
    event = register_then_review()
    async with case(env, fakes, event) as handle:
        result_task = asyncio.ensure_future(handle.result())  # lets time skip to the deadline
        during = await state_while_compensating(handle, fakes)
        result = await result_task

    assert result.status is CaseStatus.compensated
    assert fakes.compensated_ids == ["review", "register"]
    assert [c.action for c in fakes.compensations] == ["withdraw", "unregister"]
    review = view(result, "review")
    assert review.error == "no decision from agency within 10 days"
    # Failed first (recorded as such), then withdrawn: its final status is `compensated`.
    assert review.status is StepStatus.compensated
    assert view(result, "register").status is StepStatus.compensated
    failed = [p for p in fakes.progress if p.status is StepStatus.failed]
    assert [(p.step_id, p.error) for p in failed] == [("review", "no decision from agency within 10 days")]
    assert review.started_at is not None and review.finished_at is not None
    assert review.finished_at - review.started_at >= timedelta(days=10)
    # Past the deadline nobody is waited for any more: the case is undoing, not waiting.
    assert view(during, "review").status is StepStatus.failed
    assert failed[0].status is StepStatus.failed, "read model still shows the review waiting"
    assert during.status is not CaseStatus.waiting, "case still 'waiting' while it compensates"


async def test_rejected_review_compensates_the_case(env: WorkflowEnvironment) -> None:
    """A rejection is a decision, not a timeout: the review fails with the agency's reason and
    nothing remains at that agency, so only earlier steps are undone."""
    fakes = FakeAgencies()
    event = register_then_review()
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await handle.signal(
            LifeEventWorkflow.decide,
            DecisionInput(step_id="review", approved=False, reason="documents_missing", decided_by="c-1"),
        )
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    review = view(result, "review")
    assert review.status is StepStatus.failed
    assert review.error is not None and "documents_missing" in review.error
    assert fakes.compensated_ids == ["register"]
    assert view(result, "register").status is StepStatus.compensated
    failed = [p for p in fakes.progress if p.status is StepStatus.failed]
    assert [p.step_id for p in failed] == ["review"]
    assert failed[0].status is StepStatus.failed, "read model still shows the review waiting"


async def test_citizen_input_answered_runs_the_step(env: WorkflowEnvironment) -> None:
    """A citizen_input step parks the case until the citizen answers, then sends the asked
    fields to the agency along with the step's own inputs."""
    fakes = FakeAgencies()
    event = definition(
        step("register"),
        step(
            "new_home",
            kind=StepKind.citizen_input,
            asks=["new_address"],
            inputs=["name"],
            depends_on=["register"],
            wait_days=7,
        ),
    )
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        state = await handle.query(LifeEventWorkflow.state)
        assert state.status is CaseStatus.waiting
        assert view(state, "new_home").status is StepStatus.waiting
        assert fakes.step_ids == ["register"]

        await env.sleep(timedelta(days=3))
        await handle.signal(
            LifeEventWorkflow.provide_input, AnswerInput(step_id="new_home", fields=["new_address"])
        )
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert view(result, "new_home").status is StepStatus.succeeded
    assert fakes.step_ids == ["register", "new_home"]
    assert set(fakes.steps[1].inputs) == {"name", "new_address"}
    assert view(result, "new_home").shared_fields == ["name", "new_address"]
    assert [(p.step_id, p.status) for p in fakes.progress] == [("new_home", StepStatus.waiting)]
    home = view(result, "new_home")
    assert home.started_at is not None and home.finished_at is not None
    assert home.finished_at - home.started_at >= timedelta(days=3)


async def test_citizen_input_unanswered_compensates(env: WorkflowEnvironment) -> None:
    """No answer within wait_days fails the step without calling its agency, and undoes the rest."""
    fakes = FakeAgencies(hold_compensations=True)
    event = definition(
        step("register", compensation="unregister"),
        step(
            "new_home",
            kind=StepKind.citizen_input,
            asks=["new_address"],
            depends_on=["register"],
            wait_days=5,
            compensation="forget",
        ),
    )
    async with case(env, fakes, event) as handle:
        result_task = asyncio.ensure_future(handle.result())
        during = await state_while_compensating(handle, fakes)
        result = await result_task

    assert result.status is CaseStatus.compensated
    home = view(result, "new_home")
    assert home.status is StepStatus.failed
    assert home.error == "no answer from the citizen within 5 days"
    assert fakes.step_ids == ["register"]
    assert fakes.compensated_ids == ["register"]
    assert view(during, "new_home").status is StepStatus.failed
    assert during.status is not CaseStatus.waiting, "case still 'waiting' while it compensates"
    # No activity ran for this step, so the workflow itself must carry its failure to the read model.
    assert ("step_failed", "new_home") in fakes.recorded_events, "failure never reached the read model"


async def test_cancel_while_waiting_undoes_in_reverse_order(env: WorkflowEnvironment) -> None:
    """A cancel ends the wait at once; succeeded steps are undone newest first and the waiting
    step, never sent to its agency, is skipped rather than compensated."""
    fakes = FakeAgencies(hold_compensations=True)
    event = definition(
        step("a", compensation="undo_a"),
        step("b", compensation="undo_b", depends_on=["a"]),
        step(
            "c",
            kind=StepKind.citizen_input,
            asks=["answer"],
            depends_on=["b"],
            compensation="undo_c",
        ),
        step("d", depends_on=["c"], compensation="undo_d"),
    )
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=1))
        await handle.signal(LifeEventWorkflow.cancel, CancelInput(reason="moved_abroad", requested_by="me"))
        during = await state_while_compensating(handle, fakes)
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    assert fakes.step_ids == ["a", "b"]
    assert fakes.compensated_ids == ["b", "a"]
    assert view(result, "a").status is StepStatus.compensated
    assert view(result, "b").status is StepStatus.compensated
    assert view(result, "c").status is StepStatus.skipped
    assert view(result, "d").status is StepStatus.skipped
    assert any(e.event == "cancel_requested" and e.detail == "moved_abroad" for e in result.timeline)
    assert view(during, "c").status is StepStatus.skipped
    assert during.status is not CaseStatus.waiting, "case still 'waiting' while it compensates"


async def test_optional_step_failure_does_not_stop_the_case(env: WorkflowEnvironment) -> None:
    """An optional step may fail: the case still completes, nothing is undone, and only what
    depends on the failed step is skipped."""
    fakes = FakeAgencies(fail_steps={"extra": "not eligible"})
    event = definition(
        step("a", compensation="undo_a"),
        step("extra", required=False, depends_on=["a"], compensation="undo_extra"),
        step("after_extra", depends_on=["extra"]),
        step("b", depends_on=["a"]),
    )
    async with case(env, fakes, event) as handle:
        result = await handle.result()

    assert result.status is CaseStatus.completed
    extra = view(result, "extra")
    assert extra.status is StepStatus.failed
    assert extra.error == "not eligible"
    assert view(result, "after_extra").status is StepStatus.skipped
    assert view(result, "after_extra").error == "depends on failed step extra"
    assert view(result, "a").status is StepStatus.succeeded
    assert view(result, "b").status is StepStatus.succeeded
    assert sorted(fakes.step_ids) == ["a", "b", "extra"]
    assert fakes.compensations == []


async def test_false_condition_skips_and_failed_compensation_fails_the_case(
    env: WorkflowEnvironment,
) -> None:
    """A `when` that is false skips its step; an undo the agency refuses for good leaves the case
    `failed` (not `compensated`), so someone has to look at it."""
    fakes = FakeAgencies(
        fail_steps={"b": "agency down for good"}, fail_compensations={"a": "already archived"}
    )
    event = definition(
        step("a", compensation="undo_a"),
        step("guarded", when="data.n > 0", depends_on=["a"], compensation="undo_guarded"),
        step("b", depends_on=["guarded"]),
    )
    async with case(env, fakes, event, facts={"n": 0}) as handle:
        result = await handle.result()

    assert result.status is CaseStatus.failed
    guarded = view(result, "guarded")
    assert guarded.status is StepStatus.skipped
    assert guarded.error == "condition false: data.n > 0"
    assert view(result, "b").status is StepStatus.failed
    assert fakes.step_ids == ["a", "b"]
    assert fakes.compensated_ids == ["a"]
    a = view(result, "a")
    assert a.status is StepStatus.succeeded
    assert a.error == "compensation failed: already archived"
    assert fakes.outcome is not None and fakes.outcome.status is CaseStatus.failed


async def test_skip_after_a_failed_step_propagates_down_the_chain(env: WorkflowEnvironment) -> None:
    """A step behind a skipped-because-blocked step is blocked too: the chain stops at the failure."""
    fakes = FakeAgencies(fail_steps={"extra": "not eligible"})
    event = definition(
        step("extra", required=False),
        step("second", depends_on=["extra"]),
        step("third", depends_on=["second"]),
    )
    async with case(env, fakes, event) as handle:
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert [view(result, s).status for s in ("extra", "second", "third")] == [
        StepStatus.failed,
        StepStatus.skipped,
        StepStatus.skipped,
    ]
    assert view(result, "third").error == "depends on failed step second"
    assert fakes.step_ids == ["extra"]


async def test_condition_error_at_run_time_fails_the_step_not_the_workflow(env: WorkflowEnvironment) -> None:
    """A condition that compiles but cannot be evaluated on this case's data (a missing output
    key) fails its step like a rejection would: the case compensates instead of hanging."""
    fakes = FakeAgencies()
    event = definition(
        step("a", compensation="undo_a"),
        step("b", depends_on=["a"], when='steps.a.output.missing == "x"'),
    )
    async with case(env, fakes, event) as handle:
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    b = view(result, "b")
    assert b.status is StepStatus.failed
    assert b.error is not None and b.error.startswith("condition could not be evaluated")
    assert fakes.compensated_ids == ["a"]
    assert ("step_failed", "b") in fakes.recorded_events
