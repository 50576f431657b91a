"""How a case stops: a rejection elsewhere ends waits at once, a Temporal-level cancel cannot
stop an undo half-way (not even one held for support), a refused undo waits for support, and a
review may go back to the citizen before the agency decides."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from orchestrator.cases import CaseStatus, StepStatus, WaitingFor
from orchestrator.contracts import (
    AgencyTerms,
    CancelInput,
    CaseState,
    DecisionInput,
    SupportInput,
)
from orchestrator.definition import StepKind
from tests.workflow_harness import (
    AGENCY,
    CITIZEN,
    SUPPORT,
    FakeAgencies,
    Handle,
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

ASK = DecisionInput(step_id="review", approved=False, request_input=["certificate"], by=AGENCY)


def _elapsed(result: CaseState) -> timedelta:
    """Workflow time from the case's start to its end (`handle.result()` skips time by itself,
    so only this shows that nothing waited out a deadline)."""
    return result.timeline[-1].at - result.timeline[0].at


async def _temporal_cancel_handled(handle: Handle) -> None:
    """Block until a workflow task has run after the Temporal-level cancel request."""
    async with asyncio.timeout(10):
        while True:
            kinds = [e.event_type async for e in handle.fetch_history_events()]
            if EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED in kinds:
                after = kinds[kinds.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED) :]
                if EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in after:
                    return
            await asyncio.sleep(0.02)


async def _answer_certificate(handle: Handle, fakes: FakeAgencies) -> None:
    await until(
        lambda: (
            bool(fakes.projections) and view(fakes.projections[-1], "review").asked_fields == ["certificate"]
        )
    )
    state = await handle.query(LifeEventCase.state)
    assert view(state, "review").waiting_for is WaitingFor.citizen
    await answer(handle, "review", ["certificate"])


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
    assert _elapsed(result) < timedelta(days=1)
    assert view(result, "tax").status is StepStatus.failed
    assert fakes.compensated_ids == ["register"]
    assert "school" not in fakes.step_ids


@pytest.mark.parametrize(
    ("by_citizen", "ends"),
    [(False, CaseStatus.compensated), (True, CaseStatus.cancelled)],
    ids=["after_a_rejection", "after_a_cancel"],
)
async def test_temporal_cancel_during_compensation_still_undoes_everything(
    env: WorkflowEnvironment, by_citizen: bool, ends: CaseStatus
) -> None:
    """An operator's cancel from the Temporal UI mid-undo must not leave half the agencies undone,
    nor change why the case is being undone: a rejection still ends `compensated`, a citizen's
    cancel `cancelled`."""
    fakes = FakeAgencies(reject_steps={} if by_citizen else {"c": "rejected"}, hold_compensations=True)
    last = (
        step("c", kind=StepKind.citizen_input, asks=["answer"], depends_on=["b"])
        if by_citizen
        else step("c", depends_on=["b"])
    )
    event = definition(
        step("a", compensation="undo_a"), step("b", depends_on=["a"], compensation="undo_b"), last
    )
    async with case(env, fakes, event) as handle:
        if by_citizen:
            await timer_started(handle)
            await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
        async with asyncio.timeout(10):
            await fakes.compensating.wait()
        await handle.cancel()
        await _temporal_cancel_handled(handle)  # the cancel reached the workflow mid-undo
        fakes.release.set()
        result = await handle.result()

    assert fakes.compensated_ids == ["b", "a"]
    assert result.status is ends
    assert fakes.outcome is not None and fakes.outcome.status is ends
    cancels = [(e.detail, e.role) for e in result.timeline if e.event == "cancel_requested"]
    assert cancels == ([("citizen_request", "citizen")] if by_citizen else [("temporal_cancel", "system")])


async def test_temporal_cancel_cannot_end_a_held_undo(env: WorkflowEnvironment) -> None:
    """An undo the agency refuses holds for support; a Temporal cancel meanwhile is recorded but
    ends nothing: the case stays held until support retries the fixed undo."""
    fakes = FakeAgencies(reject_steps={"notify": "not_eligible"}, reject_undos={"register": "cannot_undo"})
    event = definition(step("register", compensation="unregister"), step("notify", depends_on=["register"]))
    async with case(env, fakes, event) as handle:
        await until(lambda: fakes.held("register"))
        await handle.cancel()
        await _temporal_cancel_handled(handle)
        held = await handle.query(LifeEventCase.state)
        assert held.status is CaseStatus.needs_attention
        assert view(held, "register").status is StepStatus.needs_attention
        assert [c.step_id for c in fakes.compensations] == ["register"], (
            "the cancel set the held undo going again"
        )
        fakes.reject_undos.clear()
        await handle.execute_update(
            LifeEventCase.retry_step, SupportInput(step_id="register", reason="fixed", by=SUPPORT)
        )
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    assert fakes.compensated_ids == ["register"]
    assert view(result, "register").status is StepStatus.compensated
    events = [(e.event, e.role) for e in result.timeline]
    assert events.index(("cancel_requested", "system")) < events.index(("support_retry", "support"))


async def test_a_refused_undo_after_a_cancel_marked_undone_by_support_ends_cancelled(
    env: WorkflowEnvironment,
) -> None:
    """A cancel whose undo the agency refuses does not end `failed`: the step holds for support,
    who may mark it undone by hand (even a required step: an undo is always skippable)."""
    fakes = FakeAgencies(reject_undos={"register": "already_archived"})
    event = definition(
        step("register", compensation="unregister"),
        step("notify", depends_on=["register"], compensation="withdraw"),
        step("home", kind=StepKind.citizen_input, asks=["new_address"], depends_on=["notify"]),
    )
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
        await until(lambda: fakes.held("register"))
        held = await handle.query(LifeEventCase.state)
        assert held.status is CaseStatus.needs_attention
        assert view(held, "register").attention == "undo already_archived: needs a fix before a retry"
        assert view(held, "notify").status is StepStatus.compensated
        await handle.execute_update(
            LifeEventCase.skip_step, SupportInput(step_id="register", reason="undone_by_phone", by=SUPPORT)
        )
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    assert fakes.compensated_ids == ["notify"]
    assert view(result, "register").status is StepStatus.compensated
    undone = [(e.step, e.detail) for e in result.timeline if e.event == "step_compensated"]
    assert undone == [("notify", "agency.withdraw"), ("register", "marked undone by support")]
    skip = next(e for e in result.timeline if e.event == "support_skip")
    assert (skip.step, skip.detail, skip.by, skip.role) == (
        "register",
        "undone_by_phone",
        "support-1",
        "support",
    )


async def test_an_agency_down_past_its_budget_compensates_when_the_step_says_so(
    env: WorkflowEnvironment,
) -> None:
    """`on_exhausted: compensate` rolls the case back once the agency's budget runs out, instead
    of holding; the unreachable step is undone too, since an attempt may have reached it."""
    fakes = FakeAgencies()
    fakes.down.add("notify")
    event = definition(
        step("register", compensation="unregister"),
        step("notify", depends_on=["register"], compensation="withdraw", on_exhausted="compensate"),
    )
    async with case(env, fakes, event, agencies={"agency": AgencyTerms(retry_for_hours=1)}) as handle:
        await until(lambda: bool(fakes.projections) and view(fakes.projections[-1], "notify").attempts > 0)
        # Attempts back off 1 s, 2 s, 4 s…: the budget runs out at about 1.1 h; the undo of notify,
        # down as well, is then backing off.
        await env.sleep(timedelta(hours=1.5))
        undoing = await handle.query(LifeEventCase.state)
        assert undoing.status is CaseStatus.compensating
        assert view(undoing, "notify").next_attempt_at is not None
        fakes.down.clear()
        result = await handle.result()

    assert result.status is CaseStatus.compensated
    assert view(result, "notify").error == "agency unavailable: injected_outage"
    assert fakes.step_ids == ["register"]
    assert fakes.compensated_ids == ["notify", "register"]
    assert not any(p.status is CaseStatus.needs_attention for p in fakes.projections)
    failed = next(e.at for e in result.timeline if e.event == "step_failed")
    assert timedelta(hours=1) <= failed - result.timeline[0].at < timedelta(hours=1.5)


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
        with pytest.raises(WorkflowUpdateFailedError) as refused:  # nor may support compensate now
            await handle.execute_update(LifeEventCase.compensate, SupportInput(reason="dup", by=SUPPORT))
        assert "already being undone" in str(refused.value.cause)
        during = await state_while_compensating(handle, fakes)
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    assert fakes.compensated_ids == ["review", "register"]
    assert view(during, "review").status is StepStatus.skipped
    assert view(during, "review").error == "stopped while waiting for agency"
    assert not any(e.event == "compensation_requested" for e in result.timeline)


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
        await until(lambda: fakes.held("review"))
        await handle.execute_update(
            LifeEventCase.skip_step, SupportInput(step_id="review", reason="agency_closed_file", by=SUPPORT)
        )
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert view(result, "review").status is StepStatus.skipped
    assert view(result, "register").status is StepStatus.succeeded
    assert fakes.compensations == []


async def test_optional_step_that_reached_its_agency_is_undone_on_a_completed_case(
    env: WorkflowEnvironment,
) -> None:
    """An optional review rejected after a resubmission leaves its first round at the agency: the
    case completes, and that submission alone is withdrawn (every round of it)."""
    fakes = FakeAgencies()
    async with case(env, fakes, register_then_review(required=False, asks=["certificate"])) as handle:
        await timer_started(handle)
        await handle.execute_update(LifeEventCase.decide, ASK)
        await _answer_certificate(handle, fakes)
        await until(lambda: view(fakes.projections[-1], "review").waiting_for is WaitingFor.agency)
        await handle.execute_update(
            LifeEventCase.decide,
            DecisionInput(step_id="review", approved=False, reason="incomplete", by=AGENCY),
        )
        result = await handle.result()

    assert result.status is CaseStatus.completed
    assert [(c.step_id, c.action, c.rounds) for c in fakes.compensations] == [("review", "withdraw", 2)]
    assert fakes.compensated_ids == ["review"]
    assert view(result, "register").status is StepStatus.succeeded
    review = view(result, "review")
    assert review.status is StepStatus.compensated and review.error == "rejected by agency: incomplete"


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


# Engine faults a review found, fixed: each test keeps its fix in place.


async def test_a_cancelled_question_held_for_support_is_not_undone(env: WorkflowEnvironment) -> None:
    """A citizen_input step held because nobody answered never reached its agency: a cancel
    then undoes the earlier steps only, as it does for a question still waiting."""
    fakes = FakeAgencies()
    event = register_then_question("home")
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        await env.sleep(timedelta(days=6))
        await until(lambda: fakes.held("home"))
        await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
        result = await handle.result()

    assert result.status is CaseStatus.cancelled
    assert [c.step_id for c in fakes.compensations] == ["register"]
    assert view(result, "home").status is StepStatus.skipped


async def test_a_cancel_the_case_accepts_is_honoured(env: WorkflowEnvironment) -> None:
    """While a completing case undoes a failed optional step (held: the agency refuses), a cancel
    must be refused or honoured, never recorded and then ignored."""
    fakes = FakeAgencies(reject_undos={"review": "cannot_undo"})
    async with case(env, fakes, register_then_review(required=False, asks=["certificate"])) as handle:
        await timer_started(handle)
        await handle.execute_update(LifeEventCase.decide, ASK)
        await _answer_certificate(handle, fakes)
        await until(lambda: view(fakes.projections[-1], "review").waiting_for is WaitingFor.agency)
        await handle.execute_update(
            LifeEventCase.decide, DecisionInput(step_id="review", approved=False, by=AGENCY)
        )
        await until(lambda: fakes.held("review"))
        try:
            await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
            accepted = True
        except WorkflowUpdateFailedError:
            accepted = False
        await handle.execute_update(
            LifeEventCase.skip_step, SupportInput(step_id="review", reason="undone_by_phone", by=SUPPORT)
        )
        result = await handle.result()

    assert result.status is (CaseStatus.cancelled if accepted else CaseStatus.completed)
