"""Follow-ups over months on the time-skipping test server: a completed case with follow-ups
starts its schedule, whose durable timers fire in order at 2, 4 and 6 months, each writing one
outbox record; a cancelled one does not fire, and one already sent cannot be cancelled."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from orchestrator import search_attributes
from orchestrator.anticipation import (
    FollowUpCancel,
    FollowUpInput,
    FollowUpItem,
    FollowUpNotice,
    FollowUpState,
    FollowUpStatus,
    OffersInput,
    OffersResult,
    follow_ups_workflow_id,
)
from orchestrator.contracts import AgencyTerms, LifeEventInput
from orchestrator.definition import FollowUpRule
from tests.workflow_harness import CITIZEN, TEST_SERVER, FakeAgencies, definition, step, until
from workflows.follow_ups import FollowUpSchedule
from workflows.life_event import LifeEventCase

MONTHS = {"vaccination_2_months": 60, "vaccination_4_months": 120, "vaccination_6_months": 180}


class FakeAnticipation:
    """`make_offers` saying every follow-up is due, and the schedule's outbox and projection."""

    def __init__(self) -> None:
        self.asked: list[OffersInput] = []
        self.sent: list[FollowUpNotice] = []
        self.projected: list[FollowUpState] = []

    @activity.defn(name="make_offers")
    async def make_offers(self, request: OffersInput) -> OffersResult:
        self.asked.append(request)
        return OffersResult(offers=[], follow_ups=list(MONTHS))

    @activity.defn(name="send_follow_up")
    async def send_follow_up(self, notice: FollowUpNotice) -> None:
        self.sent.append(notice)

    @activity.defn(name="project_follow_ups")
    async def project_follow_ups(self, state: FollowUpState) -> None:
        self.projected.append(state)


async def _completed_case_with_follow_ups(
    env: WorkflowEnvironment, fakes: FakeAnticipation, task_queue: str
) -> str:
    event = definition(step("register"))
    event.follow_ups = [
        FollowUpRule(id=i, title=f"Vaccinations at {d // 30} months", after_days=d) for i, d in MONTHS.items()
    ]
    case_id = uuid.uuid4().hex[:12]
    handle = await env.client.start_workflow(
        LifeEventCase.run,
        LifeEventInput(
            case_id=case_id,
            citizen_id="p-citizen",
            definition=event,
            agencies={"agency": AgencyTerms(title="The Agency")},
        ),
        id=f"case-{case_id}",
        task_queue=task_queue,
    )
    state = await handle.result()
    assert state.status.value == "completed"
    events = [e.event for e in state.timeline]
    assert events.index("follow_ups_scheduled") < events.index("case_completed")
    return case_id


def _worker(env: WorkflowEnvironment, fakes: FakeAnticipation, agencies: FakeAgencies, queue: str) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[LifeEventCase, FollowUpSchedule],
        activities=[
            agencies.call_agency,
            agencies.undo_agency,
            agencies.project_case,
            fakes.make_offers,
            fakes.send_follow_up,
            fakes.project_follow_ups,
        ],
    )


@pytest.fixture
async def own_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of its own: the schedule this test leaves running (the test
    server can neither finish nor terminate a child whose parent has closed) would hold the
    shared server's clock once its worker is gone."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEST_SERVER, data_converter=pydantic_data_converter
    )
    try:
        await search_attributes.register(environment.client, "default")
        yield environment
    finally:
        await environment.shutdown()


async def test_a_completed_case_schedules_its_follow_ups(own_env: WorkflowEnvironment) -> None:
    """The case asks OneStop which follow-ups are due and starts their schedule, due from its
    completion; the schedule outlives the case."""
    env = own_env
    fakes, agencies = FakeAnticipation(), FakeAgencies()
    task_queue = f"follow-ups-{uuid.uuid4().hex}"
    async with _worker(env, fakes, agencies, task_queue):
        case_id = await _completed_case_with_follow_ups(env, fakes, task_queue)
        assert [a.after for a in fakes.asked] == ["case_completed"]
        assert fakes.asked[0].steps == {"register": "succeeded"}
        await until(lambda: bool(fakes.projected))
        schedule = env.client.get_workflow_handle(follow_ups_workflow_id(case_id))
        assert (await schedule.describe()).status is not None
        scheduled = {i.id: i.due_at for i in fakes.projected[0].items}
        start = scheduled["vaccination_2_months"] - timedelta(days=60)
        assert {i: (d - start).days for i, d in scheduled.items()} == MONTHS
        assert fakes.projected[0].case_id == case_id and fakes.projected[0].citizen_id == "p-citizen"


async def test_follow_ups_fire_in_order_and_a_cancelled_one_does_not(env: WorkflowEnvironment) -> None:
    fakes, agencies = FakeAnticipation(), FakeAgencies()
    task_queue = f"follow-ups-{uuid.uuid4().hex}"
    async with _worker(env, fakes, agencies, task_queue):
        start = await env.get_current_time()
        items = [
            FollowUpItem(id=i, title=f"Vaccinations at {d // 30} months", due_at=start + timedelta(days=d))
            for i, d in reversed(MONTHS.items())  # out of order: they fire by due time
        ]
        schedule = await env.client.start_workflow(
            FollowUpSchedule.run,
            FollowUpInput(
                case_id="case-1", citizen_id="p-citizen", life_event="birth_registration", items=items
            ),
            id=f"follow-ups-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
        cancelled = await schedule.execute_update(
            FollowUpSchedule.cancel, FollowUpCancel(follow_up_id="vaccination_4_months", by=CITIZEN)
        )
        assert {i.id: i.status for i in cancelled.items}["vaccination_4_months"] is FollowUpStatus.cancelled
        await env.sleep(timedelta(days=61))  # the first reminder is due: time skips to it
        await until(lambda: len(fakes.sent) == 1)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await schedule.execute_update(
                FollowUpSchedule.cancel, FollowUpCancel(follow_up_id="vaccination_2_months", by=CITIZEN)
            )
        assert "was sent already" in str(refused.value.cause)
        final = await schedule.result()  # the rest of the half year skips by
    assert [n.follow_up_id for n in fakes.sent] == ["vaccination_2_months", "vaccination_6_months"]
    statuses = {i.id: i.status.value for i in final.items}
    assert statuses == {
        "vaccination_6_months": "sent",
        "vaccination_4_months": "cancelled",
        "vaccination_2_months": "sent",
    }
    for item in final.items:
        if item.sent_at is not None:  # each fired when due, by its durable timer
            assert item.due_at <= item.sent_at < item.due_at + timedelta(hours=1)
    assert fakes.projected[-1].items == final.items
    assert all(n.case_id == "case-1" and n.citizen_id == "p-citizen" for n in fakes.sent)


async def test_a_case_without_offers_or_follow_ups_asks_for_none(env: WorkflowEnvironment) -> None:
    """The benchmark's kind of case: no make_offers call, no patch marker, no schedule."""
    fakes, agencies = FakeAnticipation(), FakeAgencies()
    task_queue = f"follow-ups-{uuid.uuid4().hex}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[LifeEventCase],
        activities=[agencies.call_agency, agencies.undo_agency, agencies.project_case, fakes.make_offers],
    ):
        handle = await env.client.start_workflow(
            LifeEventCase.run,
            LifeEventInput(case_id="plain", citizen_id="p-1", definition=definition(step("register"))),
            id=f"case-plain-{uuid.uuid4().hex[:6]}",
            task_queue=task_queue,
        )
        assert (await handle.result()).status.value == "completed"
        history = [str(e) async for e in handle.fetch_history_events()]
    assert fakes.asked == []
    assert not [e for e in history if '\\"id\\":\\"offers\\"' in e or "FollowUpSchedule" in e]
    assert any('\\"id\\":\\"engine-3\\"' in e for e in history)  # the check can see markers
