"""Calls on the case's own queue start as local activities (`workflows.agency_calls.attempt`):
an agency slower than the local bound gets the rest of the step's timeout as a server activity,
under the same idempotency key, and a command sent meanwhile waits for the bound, not the call."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Replayer

from orchestrator.settings import Settings
from orchestrator.temporal_client import data_converter, workflow_id
from tests.support import MOVE, CaseWatcher, step
from workflows.agency_calls import LOCAL_CALL_SECONDS
from workflows.life_event import LifeEventCase

SLOW = "residence_registry"


async def _scheduled_calls(temporal: Client, case_id: str) -> int:
    """Server activities the case scheduled for agency calls."""
    history = await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()
    return sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "call_agency"
    )


async def test_a_quick_agency_costs_the_server_no_activity(
    watcher: CaseWatcher, citizen: str, temporal: Client
) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert await _scheduled_calls(temporal, case_id) == 0


async def test_a_call_that_outlasts_its_local_bound_moves_to_the_server_and_acts_once(
    watcher: CaseWatcher, citizen: str, temporal: Client, stack: Settings
) -> None:
    """And the run replays: a local activity's timeout, read back from its marker, is raised
    bare, not as the activity error the run saw (a worker that took the case over failed it)."""
    await watcher.fault(
        agency=SLOW, subject=citizen, kind="delay", delay_seconds=LOCAL_CALL_SECONDS + 1.5, times=1
    )
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert step(case, "register_residence")["attempts"] == 1  # one attempt, local then on the server
    assert await _scheduled_calls(temporal, case_id) == 1
    assert len(await watcher.records(SLOW, case_id)) == 1
    history = await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()
    replayer = Replayer(workflows=[LifeEventCase], data_converter=data_converter(stack))
    await replayer.replay_workflow(history)


async def test_a_command_during_a_slow_call_is_answered_within_its_bound(
    stack: Settings, http: httpx.AsyncClient, watcher: CaseWatcher, citizen: str
) -> None:
    """The agency sits on the call past the command's own timeout, twice (the local attempt and
    the server's): the cancel is still answered by the workflow, not with a 503."""
    slow = stack.command_timeout_seconds + 2
    await watcher.fault(agency=SLOW, subject=citizen, kind="delay", delay_seconds=slow, times=2)
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    await asyncio.sleep(0.5)  # the first step's call is under way
    response = await http.post(f"/v1/cases/{case_id}:cancel", headers=watcher.auth("citizen", citizen))
    assert response.status_code == 200, response.text
    case = await watcher.wait(citizen, case_id, within=90)
    assert case["status"] in {"cancelled", "compensated"}, case
    assert len(await watcher.records("national_id", case_id)) == 0  # the fan-out never started
