"""Per-agency capacity from agencies.yaml, on the agency's own queue with a real worker: with
`concurrency: 2` the registry never answers more than two calls at once, and `actions_per_second`
spaces the calls it receives. Both are read off what the servers recorded (the simulated registry's
peak of calls in flight, the Temporal server's dispatch of each call), never off how long the test
took."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from orchestrator.settings import Settings
from orchestrator.temporal_client import workflow_id
from tests.conftest import TokenFactory
from tests.support import CaseWatcher, add_agency, add_definition, until_loaded

CASES = 6


def _agency(title: str, **limits: Any) -> dict[str, Any]:
    return {
        "title": title,
        "task_queue": f"{title.split()[0].lower()}-{uuid.uuid4().hex[:8]}",
        **limits,
        "actions": {"file": {"title": "File", "accepts": ["citizen_name"]}, "unfile": {"title": "Unfile"}},
    }


def _definition(agency: str) -> str:
    return f"""\
type: {agency}_filing
version: 1
title: A filing at the {agency}
inputs:
  - {{name: citizen_name, type: string}}
steps:
  - id: file
    agency: {agency}
    action: file
    compensation: unfile
    inputs: [citizen_name]
"""


AGENCIES = {
    "narrow_registry": _agency("Narrow registry", concurrency=2),
    "wide_registry": _agency("Wide registry"),
    "paced_registry": _agency("Paced registry", actions_per_second=2),
}


@pytest.fixture
async def registries(stack: Settings, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    for name, spec in AGENCIES.items():
        add_agency(stack.catalog_path, name, spec)
        add_definition(stack.catalog_path, f"{name}_filing", _definition(name))
    for name in AGENCIES:
        await until_loaded(http, auth("designer", "d"), f"{name}_filing")


async def _file_many(
    watcher: CaseWatcher,
    simulators: httpx.AsyncClient,
    agency: str,
    cases: int = CASES,
    behaviour: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`cases` cases at once on the agency; its stats, and its records, once all completed."""
    path = f"/admin/agencies/{agency}/behaviour"
    assert (await simulators.delete(path)).status_code == 204
    assert (await simulators.put(path, json=behaviour or {})).status_code == 200
    citizen = f"citizen-{uuid.uuid4().hex[:8]}"
    # All at once, so that the calls could overlap whatever the machine's speed: started one after
    # another, three 700 ms calls overlapped only if the starts came under 350 ms apart.
    started = list(
        await asyncio.gather(
            *(watcher.start(citizen, f"{agency}_filing", {"citizen_name": "Ana"}) for _ in range(cases))
        )
    )
    done = await asyncio.gather(*(watcher.wait(citizen, case_id, within=120) for case_id in started))
    assert [c["status"] for c in done] == ["completed"] * cases
    view = await simulators.get(path)
    stats: dict[str, Any] = view.json()["stats"]
    stats["records"] = [r for case_id in started for r in await watcher.records(agency, case_id)]
    stats["case_ids"] = started
    return stats


async def _dispatched(temporal: Client, case_ids: list[str], task_queue: str) -> list[datetime]:
    """When the Temporal server handed each case's call on `task_queue` to a worker, sorted: the
    time of its ActivityTaskStarted event, which the server stamps at dispatch even though it writes
    the event only once the call is over."""
    times = []
    for case_id in case_ids:
        history = await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()
        on_queue = {
            e.event_id
            for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")
            and e.activity_task_scheduled_event_attributes.task_queue.name == task_queue
        }
        times += [
            e.event_time.ToDatetime(UTC)
            for e in history.events
            if e.HasField("activity_task_started_event_attributes")
            and e.activity_task_started_event_attributes.scheduled_event_id in on_queue
        ]
    return sorted(times)


@pytest.mark.usefixtures("registries")
async def test_concurrency_caps_the_calls_an_agency_answers_at_once(
    watcher: CaseWatcher, simulators: httpx.AsyncClient
) -> None:
    slow = {"latency_ms": {"fixed": 700}}
    narrow = await _file_many(watcher, simulators, "narrow_registry", behaviour=slow)
    wide = await _file_many(watcher, simulators, "wide_registry", behaviour=slow)
    assert narrow["calls"] == CASES and narrow["in_flight"] == 0
    assert narrow["peak_in_flight"] <= 2, narrow
    # The same load on a registry without a limit overlaps more: the count sees overlap at all.
    assert wide["peak_in_flight"] > 2, wide


@pytest.mark.usefixtures("registries")
async def test_actions_per_second_spaces_the_calls(
    watcher: CaseWatcher, simulators: httpx.AsyncClient, temporal: Client
) -> None:
    """A token bucket of `rate` tokens a second holding at most `rate` dispatches no more than
    2 x rate calls in any one-second window, so 10 calls span at least (10 - 2 x rate) / rate
    seconds between the first and the last. Read off when the Temporal server dispatched each call,
    which is what the limit governs: a worker stalled on a loaded machine delivers calls dispatched
    apart together, so the registry's own times once held 7 in one second on CI. The window allows
    2 more for the server's clock and its limiter's not being one instant. Without the limit all 10
    land within one second. The registry still stores exactly one record per call."""
    rate = AGENCIES["paced_registry"]["actions_per_second"]
    calls = 10
    paced = await _file_many(watcher, simulators, "paced_registry", cases=calls)
    assert len(paced["records"]) == calls
    dispatched = await _dispatched(temporal, paced["case_ids"], AGENCIES["paced_registry"]["task_queue"])
    assert len(dispatched) == calls
    second = timedelta(seconds=1)
    busiest = max(sum(1 for t in dispatched if start <= t < start + second) for start in dispatched)
    assert busiest <= 2 * rate + 2, dispatched
    assert dispatched[-1] - dispatched[0] >= timedelta(seconds=(calls - 2 * rate) / rate), dispatched
