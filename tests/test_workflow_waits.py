"""LifeEventCase's durable waits, cancels, optional steps and saga, on Temporal's time-skipping
test server: days of waiting take milliseconds, and fake activities record what the workflow
asked of the agencies and what it projected, so each test asserts behaviour rather than timing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from orchestrator.cases import CaseStatus, StepStatus, WaitingFor, question_id
from orchestrator.contracts import AnswerInput, CancelInput, CaseState, DecisionInput, SupportInput
from orchestrator.definition import StepKind
from tests.workflow_harness import (
    AGENCY,
    CITIZEN,
    SUPPORT,
    FakeAgencies,
    answer,
    case,
    definition,
    register_then_question,
    register_then_review,
    state_while_compensating,
    step,
    timer_started,
    until,
    view,
)
from workflows.life_event import LifeEventCase


def _in_time_order(state: CaseState) -> bool:
    times = [e.at for e in state.timeline]
    return times == sorted(times)


async def test_agency_decision_within_wait_completes_the_case(env: WorkflowEnvironment) -> None:
    """A review may take days: the case sits in `waiting` until the agency decides."""
    fakes = FakeAgencies()
    event = definition(
        step("register", compensation="unregister"),
        step("review", kind=StepKind.agency_review, depends_on=["register"], wait_days=10),
        step("after", depends_on=["review"]),
    )
    fakes.down.add("after")  # keeps the case open after the verdict, so its answer can be read
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=9))
        state = await handle.query(LifeEventCase.state)
        assert state.status is CaseStatus.waiting
        review = view(state, "review")
        assert review.status is StepStatus.waiting and review.waiting_for is WaitingFor.agency
        assert review.due_at is not None and review.waiting_since is not None
        assert review.due_at - review.waiting_since == timedelta(days=10)
        assert view(state, "register").status is StepStatus.succeeded
        started = review.started_at
        assert started is not None and await env.get_current_time() - started >= timedelta(days=9)

        verdict = await handle.execute_update(
            LifeEventCase.decide, DecisionInput(step_id="review", approved=True, reason="fine", by=AGENCY)
        )
        assert verdict.timeline[-1].event == "agency_decided" and verdict.timeline[-1].by == "officer-1"
        fakes.down.clear()
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert [s.status for s in result.steps] == [StepStatus.succeeded] * 3
    assert view(result, "review").reference == "ref-review"
    assert fakes.step_ids == ["register", "review", "after"]
    assert fakes.compensations == []
    assert fakes.outcome is not None and fakes.outcome.status is CaseStatus.completed
    succeeded = [e for e in result.timeline if e.event == "step_succeeded" and e.step == "review"]
    assert len(succeeded) == 1, f"review's success is in the timeline {len(succeeded)} times"
    assert _in_time_order(result), "timeline out of time order"


async def test_no_agency_decision_holds_until_support_compensates(env: WorkflowEnvironment) -> None:
    """Silence past wait_days does not roll the case back by itself: the review holds for support.
    Support compensates; the agency still holds the submission, so the review is withdrawn as well
    as the earlier step, newest first."""
    fakes = FakeAgencies(hold_compensations=True)
    async with case(env, fakes, register_then_review()) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=11))
        held = await handle.query(LifeEventCase.state)
        review = view(held, "review")
        assert held.status is CaseStatus.needs_attention
        assert review.status is StepStatus.needs_attention and review.waiting_for is WaitingFor.support
        assert review.attention == "no decision from agency within 10 days"
        await until(lambda: fakes.held("review"))  # the read model shows the hold too
        assert fakes.projections[-1].status is CaseStatus.needs_attention
        assert fakes.compensations == [], "a deadline alone undid something"
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                LifeEventCase.skip_step, SupportInput(step_id="review", reason="late", by=SUPPORT)
            )
        assert "required" in str(refused.value.cause)
        await handle.execute_update(
            LifeEventCase.compensate, SupportInput(reason="agency_silent", by=SUPPORT)
        )
        during = await state_while_compensating(handle, fakes)
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    assert fakes.compensated_ids == ["review", "register"]
    # The held undo outlasts its local activity's bound and is delivered again from the server
    # (`LOCAL_CALL_SECONDS`), under the same idempotency key: one undo per step, newest first.
    assert list(dict.fromkeys(c.action for c in fakes.compensations)) == ["withdraw", "unregister"]
    assert view(result, "review").status is StepStatus.compensated
    assert view(result, "register").status is StepStatus.compensated
    assert during.status is CaseStatus.compensating
    requested = [(e.detail, e.by, e.role) for e in result.timeline if e.event == "compensation_requested"]
    assert requested == [("agency_silent", "support-1", "support")]
    assert fakes.outcome is not None and fakes.outcome.status is CaseStatus.compensated
    assert _in_time_order(result)


async def test_rejected_review_compensates_the_case(env: WorkflowEnvironment) -> None:
    """A rejection is a decision, not a timeout: the review fails with the agency's reason and
    nothing remains at that agency, so only earlier steps are undone, at once."""
    fakes = FakeAgencies()
    async with case(env, fakes, register_then_review()) as handle:
        await timer_started(handle)
        await handle.execute_update(
            LifeEventCase.decide,
            DecisionInput(step_id="review", approved=False, reason="documents_missing", by=AGENCY),
        )
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    review = view(result, "review")
    assert review.status is StepStatus.failed
    assert review.error is not None and "documents_missing" in review.error
    assert fakes.compensated_ids == ["register"]
    assert view(result, "register").status is StepStatus.compensated
    assert result.timeline[-1].at - result.timeline[0].at < timedelta(days=1), "waited out the deadline"
    assert not any(p.status is CaseStatus.needs_attention for p in fakes.projections)


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
        state = await handle.query(LifeEventCase.state)
        assert state.status is CaseStatus.waiting
        home = view(state, "new_home")
        assert home.status is StepStatus.waiting and home.asked_fields == ["new_address"]
        assert fakes.step_ids == ["register"]
        await until(
            lambda: bool(fakes.projections) and view(fakes.projections[-1], "new_home").asked_at is not None
        )

        await env.sleep(timedelta(days=3))
        with pytest.raises(WorkflowUpdateFailedError):  # an answer to another question
            await handle.execute_update(
                LifeEventCase.answer,
                AnswerInput(step_id="new_home", fields=["new_address"], question="yesterday", by=CITIZEN),
            )
        await answer(handle, "new_home", ["new_address"])
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert view(result, "new_home").status is StepStatus.succeeded
    assert fakes.step_ids == ["register", "new_home"]
    assert set(fakes.steps[1].inputs) == {"name", "new_address"}
    assert view(result, "new_home").shared_fields == ["name", "new_address"]
    home = view(result, "new_home")
    assert home.started_at is not None and home.finished_at is not None
    assert home.finished_at - home.started_at >= timedelta(days=3)
    assert any(e.event == "citizen_answered" and e.role == "citizen" for e in result.timeline)


async def test_citizen_input_unanswered_holds_and_support_asks_again(env: WorkflowEnvironment) -> None:
    """No answer within wait_days holds the step (its agency never called); an answer to the
    question that ran out no longer counts, and support's retry puts the question again, whose
    answer runs the step."""
    fakes = FakeAgencies()
    event = register_then_question("new_home")
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        first = question_id(view(await handle.query(LifeEventCase.state), "new_home").asked_at)
        late = AnswerInput(step_id="new_home", fields=["new_address"], question=first, by=CITIZEN)
        await env.sleep(timedelta(days=6))
        await until(lambda: fakes.held("new_home"))
        held = await handle.query(LifeEventCase.state)
        assert held.status is CaseStatus.needs_attention
        assert view(held, "new_home").attention == "no answer from the citizen within 5 days"
        assert fakes.step_ids == ["register"]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(LifeEventCase.answer, late)
        assert "not waiting for the citizen" in str(refused.value.cause)
        await handle.execute_update(
            LifeEventCase.retry_step, SupportInput(step_id="new_home", reason="citizen_called", by=SUPPORT)
        )
        await until(lambda: view(fakes.projections[-1], "new_home").waiting_for is WaitingFor.citizen)
        with pytest.raises(WorkflowUpdateFailedError):  # the answer to the question that ran out
            await handle.execute_update(LifeEventCase.answer, late)
        await answer(handle, "new_home", ["new_address"])
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert fakes.step_ids == ["register", "new_home"]
    assert fakes.compensations == []
    retry = next(e for e in result.timeline if e.event == "support_retry")
    assert (retry.step, retry.detail) == ("new_home", "citizen_called")
    assert (retry.by, retry.role) == ("support-1", "support")
    assert [e.event for e in result.timeline].count("citizen_answered") == 1
    assert _in_time_order(result)


async def test_review_deadline_held_then_support_retry_waits_again(env: WorkflowEnvironment) -> None:
    """Support's retry of an undecided review does not submit it again: the step waits for the
    agency once more, with a fresh deadline, and a verdict then completes the case. A verdict
    for a held review is refused: nobody is waiting for it."""
    fakes = FakeAgencies()
    event = register_then_review(wait_days=3)
    event.steps.append(step("after", depends_on=["review"]))
    fakes.down.add("after")  # keeps the case open after the verdict, so its answer can be read
    approve = DecisionInput(step_id="review", approved=True, by=AGENCY)
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=4))
        await until(lambda: fakes.held("review"))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(LifeEventCase.decide, approve)
        assert "needs_attention" in str(refused.value.cause)
        await handle.execute_update(
            LifeEventCase.retry_step, SupportInput(step_id="review", reason="agency_chased", by=SUPPORT)
        )
        await until(lambda: view(fakes.projections[-1], "review").waiting_for is WaitingFor.agency)
        again = view(fakes.projections[-1], "review")  # as the read model sees it
        assert again.due_at is not None and again.waiting_since is not None and again.started_at
        assert again.due_at - again.waiting_since == timedelta(days=3)
        assert again.waiting_since - again.started_at >= timedelta(days=3)
        await handle.execute_update(LifeEventCase.decide, approve)
        fakes.down.clear()
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert fakes.step_ids == ["register", "review", "after"]
    assert view(result, "review").status is StepStatus.succeeded
    assert fakes.compensations == []


async def test_a_held_skippable_question_skipped_by_support_lets_the_case_go_on(
    env: WorkflowEnvironment,
) -> None:
    """A required step whose definition allows it may be skipped on hold: it ends `skipped`, its
    agency is never called, and the steps after it run as if it had succeeded."""
    fakes = FakeAgencies()
    event = definition(
        step("register", compensation="unregister"),
        step(
            "school",
            kind=StepKind.citizen_input,
            asks=["school"],
            depends_on=["register"],
            wait_days=5,
            skippable=True,
        ),
        step("after", depends_on=["school"]),
    )
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=6))
        await until(lambda: fakes.held("school"))
        await handle.execute_update(
            LifeEventCase.skip_step, SupportInput(step_id="school", reason="no_school_age", by=SUPPORT)
        )
        result = await handle.result()

    assert result.status is CaseStatus.completed
    school = view(result, "school")
    assert school.status is StepStatus.skipped and school.error == "skipped by support"
    assert view(result, "after").status is StepStatus.succeeded
    assert fakes.step_ids == ["register", "after"]
    assert fakes.compensations == []
    skip = next(e for e in result.timeline if e.event == "support_skip")
    assert (skip.step, skip.by, skip.role) == ("school", "support-1", "support")


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
        await handle.execute_update(LifeEventCase.cancel, CancelInput(reason="moved_abroad", by=CITIZEN))
        with pytest.raises(WorkflowUpdateFailedError) as twice:
            await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
        assert "already being undone" in str(twice.value.cause)
        during = await state_while_compensating(handle, fakes)
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    assert fakes.step_ids == ["a", "b"]
    assert fakes.compensated_ids == ["b", "a"]
    assert view(result, "a").status is StepStatus.compensated
    assert view(result, "b").status is StepStatus.compensated
    assert view(result, "c").status is StepStatus.skipped
    assert view(result, "d").status is StepStatus.skipped
    cancels = [e for e in result.timeline if e.event == "cancel_requested"]
    assert [(e.detail, e.by, e.role) for e in cancels] == [("moved_abroad", "citizen-1", "citizen")]
    assert view(during, "c").status is StepStatus.skipped
    assert during.status is CaseStatus.compensating
    assert fakes.outcome is not None and fakes.outcome.status is CaseStatus.cancelled
    assert _in_time_order(result)


async def test_optional_step_failure_does_not_stop_the_case(env: WorkflowEnvironment) -> None:
    """An optional step may be rejected: the case still completes, nothing is undone, and only
    what depends on the failed step is skipped."""
    fakes = FakeAgencies(reject_steps={"extra": "not_eligible"})
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
    assert extra.error == "rejected by agency: not_eligible"
    assert view(result, "after_extra").status is StepStatus.skipped
    assert view(result, "after_extra").error == "depends on failed step extra"
    assert view(result, "a").status is StepStatus.succeeded
    assert view(result, "b").status is StepStatus.succeeded
    assert sorted(fakes.step_ids) == ["a", "b", "extra"]
    assert fakes.compensations == []


async def test_false_condition_skips_at_once_and_a_refused_undo_holds_for_support(
    env: WorkflowEnvironment,
) -> None:
    """A `when` that is false skips its step, visibly before the case ends; an undo the agency
    refuses holds the case for support instead of leaving the record silently, and support may
    mark it undone by hand."""
    fakes = FakeAgencies(reject_steps={"b": "not_eligible"}, reject_undos={"a": "already_archived"})
    event = definition(
        step("a", compensation="undo_a"),
        step("guarded", when="data.n > 0", depends_on=["a"], compensation="undo_guarded"),
        step("b", depends_on=["guarded"]),
    )
    async with case(env, fakes, event, facts={"n": 0}) as handle:
        await until(lambda: fakes.held("a"))
        held = await handle.query(LifeEventCase.state)
        assert held.status is CaseStatus.needs_attention
        assert view(held, "a").attention == "undo already_archived: needs a fix before a retry"
        await handle.execute_update(
            LifeEventCase.skip_step, SupportInput(step_id="a", reason="undone_by_phone", by=SUPPORT)
        )
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    guarded = view(result, "guarded")
    assert guarded.status is StepStatus.skipped
    assert guarded.error == "condition false: data.n > 0"
    first_skip = next(
        i for i, p in enumerate(fakes.projections) if view(p, "guarded").status is StepStatus.skipped
    )
    assert first_skip < len(fakes.projections) - 1, "the skip showed only at the end"
    assert view(result, "b").status is StepStatus.failed
    assert fakes.step_ids == ["a", "b"]
    assert fakes.compensated_ids == []
    assert view(result, "a").status is StepStatus.compensated
    assert any(
        e.event == "step_compensated" and e.detail == "marked undone by support" for e in result.timeline
    )


async def test_skip_after_a_failed_step_propagates_down_the_chain(env: WorkflowEnvironment) -> None:
    """A step behind a skipped-because-blocked step is blocked too: the chain stops at the failure."""
    fakes = FakeAgencies(reject_steps={"extra": "not_eligible"})
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
    assert any(e.event == "step_failed" and e.step == "b" for p in fakes.projections for e in p.timeline)
