"""Support's tools inside the workflow, on the time-skipping server: a paused step makes no
attempt until resumed, and a held agency call can be resolved by hand (done outside OneStop)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from orchestrator.contracts import AgencyTerms, SupportInput
from tests.workflow_harness import SUPPORT, FakeAgencies, case, definition, step, until, view
from workflows.life_event import LifeEventCase

TWO_STEPS = definition(
    step("register", compensation="unregister"),
    step("notify", depends_on=["register"], compensation="withdraw"),
)


def _support(step_id: str, reason: str = "known_outage") -> SupportInput:
    return SupportInput(step_id=step_id, reason=reason, by=SUPPORT)


async def test_a_paused_step_makes_no_attempt_until_resumed(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    fakes.down.add("notify")
    async with case(env, fakes, TWO_STEPS, agencies={"agency": AgencyTerms(retry_for_hours=168)}) as handle:
        await until(
            lambda: bool(fakes.projections) and view(fakes.projections[-1], "notify").last_error is not None
        )
        paused = await handle.execute_update(LifeEventCase.pause_step, _support("notify"))
        assert view(paused, "notify").paused and paused.timeline[-1].event == "support_pause"
        again = await handle.execute_update(LifeEventCase.pause_step, _support("notify"))
        assert again.timeline[-1].event == "support_pause" and len(again.timeline) == len(paused.timeline)
        await env.sleep(timedelta(hours=2))  # past any backoff in flight when it was paused
        before = view(await handle.query(LifeEventCase.state), "notify").attempts
        await env.sleep(timedelta(days=3))
        during = await handle.query(LifeEventCase.state)
        assert view(during, "notify").attempts == before  # no case probes a known outage
        assert view(during, "notify").status.value == "waiting" and during.status.value == "waiting"
        fakes.down.clear()
        resumed = await handle.execute_update(
            LifeEventCase.resume_step, _support("notify", "agency_recovered")
        )
        assert not view(resumed, "notify").paused
        result = await handle.result()
    assert result.status.value == "completed"
    assert fakes.compensated_ids == []


async def test_a_held_call_resolved_by_hand_succeeds_without_output(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    fakes.down.add("notify")
    async with case(env, fakes, TWO_STEPS, agencies={"agency": AgencyTerms(retry_for_hours=1)}) as handle:
        with pytest.raises(WorkflowUpdateFailedError) as early:
            await handle.execute_update(LifeEventCase.resolve_step, _support("register"))
        assert "only a held agency call" in str(early.value.cause)
        await env.sleep(timedelta(hours=3))
        assert view(await handle.query(LifeEventCase.state), "notify").status.value == "needs_attention"
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(LifeEventCase.pause_step, _support("notify"))
        assert "holds for support already" in str(refused.value.cause)
        state = await handle.execute_update(
            LifeEventCase.resolve_step, _support("notify", "registered_by_hand")
        )
        assert state.timeline[-1].event == "support_resolve"
        result = await handle.result()
    assert result.status.value == "completed"
    notify = view(result, "notify")
    assert notify.status.value == "succeeded" and notify.reference == "resolved_by_support"
    assert "notify" not in fakes.step_ids  # the agency never took it through OneStop


async def test_a_held_undo_resolved_by_hand_counts_as_undone(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies(reject_steps={"notify": "not_eligible"}, reject_undos={"register": "cannot_undo"})
    async with case(env, fakes, TWO_STEPS) as handle:
        await until(lambda: fakes.held("register"))
        await handle.execute_update(LifeEventCase.resolve_step, _support("register", "undone_by_hand"))
        result = await handle.result()
    assert result.status.value == "compensated"
    register = view(result, "register")
    assert register.status.value == "compensated"
    assert any(e.event == "step_compensated" and e.detail == "resolved by support" for e in result.timeline)
