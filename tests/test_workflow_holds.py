"""Durable retries and holds for support, on the time-skipping server: an agency down for days
is waited for, an exhausted budget or a failed undo holds the step until support acts, and a
cancel never waits for a backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from orchestrator.contracts import AgencyTerms, CancelInput, DecisionInput, SupportInput
from tests.workflow_harness import (
    AGENCY,
    CITIZEN,
    SUPPORT,
    FakeAgencies,
    case,
    definition,
    register_then_review,
    step,
    until,
    view,
)
from workflows.life_event import LifeEventCase

TWO_STEPS = definition(
    step("register", compensation="unregister"),
    step("notify", depends_on=["register"], compensation="withdraw"),
)


async def test_an_agency_down_for_three_days_is_waited_for(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    fakes.down.add("notify")
    async with case(env, fakes, TWO_STEPS, agencies={"agency": AgencyTerms(retry_for_hours=168)}) as handle:
        await until(
            lambda: bool(fakes.projections) and view(fakes.projections[-1], "notify").last_error is not None
        )
        await env.sleep(timedelta(days=3))
        during = await handle.query(LifeEventCase.state)
        notify = view(during, "notify")
        assert during.status.value == "waiting"
        assert notify.waiting_for is not None and notify.waiting_for.value == "agency"
        assert notify.last_error == "injected_outage" and notify.next_attempt_at is not None
        assert notify.attempts > 5
        fakes.down.clear()
        await env.sleep(timedelta(hours=2))
        result = await handle.result()
    assert result.status.value == "completed"
    assert fakes.compensated_ids == []
    assert fakes.outcome is not None and fakes.outcome.status.value == "completed"


async def test_an_exhausted_budget_holds_until_support_retries(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    fakes.down.add("notify")
    async with case(env, fakes, TWO_STEPS, agencies={"agency": AgencyTerms(retry_for_hours=1)}) as handle:
        await env.sleep(timedelta(hours=3))
        held = await handle.query(LifeEventCase.state)
        assert held.status.value == "needs_attention"
        assert view(held, "notify").status.value == "needs_attention"
        assert "injected_outage" in (view(held, "notify").attention or "")
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                LifeEventCase.skip_step, SupportInput(step_id="notify", reason="try", by=SUPPORT)
            )
        fakes.down.clear()
        state = await handle.execute_update(
            LifeEventCase.retry_step, SupportInput(step_id="notify", reason="agency_recovered", by=SUPPORT)
        )
        assert state.timeline[-1].event == "support_retry" and state.timeline[-1].by == "support-1"
        result = await handle.result()
    assert result.status.value == "completed"
    assert fakes.compensated_ids == []


async def test_a_failed_undo_holds_until_support_retries_it(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies(reject_steps={"notify": "not_eligible"}, reject_undos={"register": "cannot_undo"})
    async with case(env, fakes, TWO_STEPS) as handle:
        await until(lambda: bool(fakes.compensations))
        await until(lambda: any(p.status.value == "needs_attention" for p in fakes.projections))
        held = await handle.query(LifeEventCase.state)
        assert view(held, "register").status.value == "needs_attention"
        fakes.reject_undos.clear()
        await handle.execute_update(
            LifeEventCase.retry_step, SupportInput(step_id="register", reason="fixed", by=SUPPORT)
        )
        result = await handle.result()
    assert result.status.value == "compensated"
    assert fakes.compensated_ids == ["register"]
    assert view(result, "register").status.value == "compensated"


async def test_a_cancel_stops_a_backoff_at_once_and_undoes_the_step(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    fakes.down.add("notify")
    async with case(env, fakes, TWO_STEPS) as handle:
        await until(
            lambda: (
                bool(fakes.projections) and view(fakes.projections[-1], "notify").next_attempt_at is not None
            )
        )
        await handle.execute_update(LifeEventCase.cancel, CancelInput(by=CITIZEN))
        fakes.down.clear()
        result = await handle.result()
    assert result.status.value == "cancelled"
    assert fakes.compensated_ids == ["notify", "register"]


async def test_a_decision_for_a_step_not_waiting_is_refused(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    fakes.down.add("after")  # keeps the case open after the verdict, so its answer can be read
    event = register_then_review()
    event.steps.append(step("after", depends_on=["review"]))
    async with case(env, fakes, event) as handle:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                LifeEventCase.decide, DecisionInput(step_id="register", approved=True, by=AGENCY)
            )
        assert "not waiting for the agency" in str(refused.value.cause)
        await until(lambda: any(v.waiting_for is not None for p in fakes.projections for v in p.steps))
        state = await handle.execute_update(
            LifeEventCase.decide, DecisionInput(step_id="review", approved=True, by=AGENCY)
        )
        assert state.timeline[-1].event == "agency_decided"
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                LifeEventCase.decide, DecisionInput(step_id="review", approved=False, by=AGENCY)
            )
        fakes.down.clear()
        result = await handle.result()
    assert result.status.value == "completed"
