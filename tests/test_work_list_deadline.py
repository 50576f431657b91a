"""A review's deadline, on Temporal's time-skipping server: past `wait_days` the task escalates
(the step holds for support with a timeline entry, and the work list reads it as escalated and
overdue), a late decision is refused, and support's retry opens the task again with a fresh
deadline. The work list's reading of the step (`task_of`) is checked on the workflow's own state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from orchestrator.agency_tasks import TaskStatus, refusal, task_of
from orchestrator.cases import CaseStatus, CaseView, StepStatus
from orchestrator.contracts import CaseState, DecisionInput, SupportInput
from orchestrator.definition import LifeEventDefinition
from tests.workflow_harness import (
    AGENCY,
    SUPPORT,
    FakeAgencies,
    case,
    register_then_review,
    timer_started,
    until,
    view,
)
from workflows.life_event import LifeEventCase


def as_read(state: CaseState, event: LifeEventDefinition) -> CaseView:
    """The workflow's state as the read model holds it."""
    at = state.as_of or state.timeline[0].at
    return CaseView(
        case_id=state.case_id,
        type=event.type,
        version=event.version,
        status=state.status,
        steps=state.steps,
        timeline=state.timeline,
        created_at=at,
        updated_at=at,
    )


async def test_a_review_past_its_deadline_escalates_and_a_retry_reopens_it(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    event = register_then_review(wait_days=2, asks=["certificate"])
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        before = await handle.query(LifeEventCase.state)
        opened = task_of(as_read(before, event), event, "review", await env.get_current_time())
        assert opened is not None and opened.status is TaskStatus.open and not opened.overdue
        assert opened.due_at is not None and opened.since is not None
        assert opened.due_at - opened.since == timedelta(days=2) and opened.asks == ["certificate"]

        await env.sleep(timedelta(days=3))
        await until(lambda: fakes.held("review"))
        held = await handle.query(LifeEventCase.state)
        assert held.status is CaseStatus.needs_attention
        assert view(held, "review").status is StepStatus.needs_attention
        [entry] = [e for e in held.timeline if e.event == "step_needs_attention" and e.step == "review"]
        assert entry.detail == "no decision from agency within 2 days"
        now = await env.get_current_time()
        escalated = task_of(as_read(held, event), event, "review", now)
        assert escalated is not None and escalated.status is TaskStatus.escalated and escalated.overdue
        assert escalated.due_at == opened.due_at and escalated.since == opened.since and escalated.round == 1
        assert escalated.due_at is not None and escalated.due_at <= entry.at
        assert "escalated to support" in (refusal(escalated) or "")
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                LifeEventCase.decide, DecisionInput(step_id="review", approved=True, by=AGENCY)
            )
        assert fakes.compensations == [], "a deadline alone undid something"

        await handle.execute_update(
            LifeEventCase.retry_step, SupportInput(step_id="review", reason="agency_chased", by=SUPPORT)
        )
        reopened = await handle.query(LifeEventCase.state)
        again = task_of(as_read(reopened, event), event, "review", await env.get_current_time())
        assert again is not None and again.status is TaskStatus.open and not again.overdue
        assert again.due_at is not None and again.due_at > entry.at
        await handle.execute_update(
            LifeEventCase.decide, DecisionInput(step_id="review", approved=True, by=AGENCY)
        )
        result = await handle.result()

    assert result.status is CaseStatus.completed
    decided = task_of(as_read(result, event), event, "review", result.as_of or entry.at)
    assert decided is not None and decided.status is TaskStatus.decided and decided.round == 1
    assert "already decided (approved" in (refusal(decided) or "")
