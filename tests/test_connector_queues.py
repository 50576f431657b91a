"""Connector agencies added to agencies.yaml while OneStop runs get a worker for their own queue
without a restart; a removed one's worker stops once its calls in flight have finished; changed
limits rebuild it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from temporalio.client import Client

from orchestrator.agencies import AgencyDirectory
from orchestrator.connector_queues import Limits
from orchestrator.mongo import connect
from orchestrator.settings import Settings
from orchestrator.worker import connector_queues, http_agencies
from tests.conftest import TokenFactory
from tests.support import CaseWatcher, add_agency, add_definition, step, until_loaded

QUEUE = f"late-registry-{uuid.uuid4().hex[:8]}"
LATE_REGISTRY = {
    "title": "Late-joining registry",
    "task_queue": QUEUE,
    "actions": {
        "note_move": {"title": "Note a move", "accepts": ["citizen_name"]},
        "unnote_move": {"title": "Withdraw a noted move"},
    },
}
LATE_NOTICE = """\
type: late_notice
version: 1
title: A move told to a registry that joined while OneStop ran
inputs:
  - {name: citizen_name, type: string}
steps:
  - id: note
    agency: late_registry
    action: note_move
    compensation: unnote_move
    inputs: [citizen_name]
"""


def _remove(catalog: Path, agency: str, definition: str) -> None:
    (catalog / f"{definition}.yaml").unlink()
    path = catalog / "agencies.yaml"
    directory = yaml.safe_load(path.read_text())
    directory["agencies"].pop(agency)
    path.write_text(yaml.safe_dump(directory, sort_keys=False))


async def _calls(simulators: httpx.AsyncClient, agency: str) -> int:
    view = await simulators.get(f"/admin/agencies/{agency}/behaviour")
    assert view.status_code == 200, view.text
    calls: int = view.json()["stats"]["calls"]
    return calls


async def test_an_agency_added_while_the_worker_runs_is_served_and_a_removed_one_drains(
    stack: Settings,
    http: httpx.AsyncClient,
    simulators: httpx.AsyncClient,
    auth: TokenFactory,
    watcher: CaseWatcher,
    citizen: str,
) -> None:
    # The stack started long before this agency existed.
    add_agency(stack.catalog_path, "late_registry", LATE_REGISTRY)
    add_definition(stack.catalog_path, "late_notice", LATE_NOTICE)
    await until_loaded(http, auth("designer", "d"), "late_notice")
    first = await watcher.start(citizen, "late_notice", {"citizen_name": "Ana"})
    case = await watcher.wait(citizen, first)
    assert case["status"] == "completed", case
    [record] = await watcher.records("late_registry", first)
    assert record["action"] == "note_move"

    # A call in flight when the agency leaves the directory finishes: the worker drains first. It
    # answers after the next sync (ONESTOP_AGENCY_QUEUES_SYNC_SECONDS, 5) and well within the
    # timeout: at 8 s of 10, a loaded machine's stall let the timeout fire first. A late sync only
    # weakens the check (the call would end before its queue goes), it does not fail it.
    assert stack.agency_queues_sync_seconds < 6.5 < stack.agency_timeout_seconds - 3
    slow = {"latency_ms": {"fixed": 6500}}
    assert (await simulators.put("/admin/agencies/late_registry/behaviour", json=slow)).status_code == 200
    before = await _calls(simulators, "late_registry")
    second = await watcher.start(citizen, "late_notice", {"citizen_name": "Ana"})
    for _ in range(300):
        if await _calls(simulators, "late_registry") > before:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the second call never reached the registry")
    _remove(stack.catalog_path, "late_registry", "late_notice")
    case = await watcher.wait(citizen, second)
    assert case["status"] == "completed", case
    assert step(case, "note")["reference"].startswith("LAT-")


async def test_queues_follow_the_directory(stack: Settings, temporal: Client) -> None:
    queue = f"follow-{uuid.uuid4().hex[:8]}"
    entry: dict[str, Any] = {
        "title": "Registry",
        "task_queue": queue,
        "concurrency": 3,
        "actions": {"act": {"accepts": []}},
    }
    state: dict[str, Any] = {"agencies": {"registry": entry}}
    mongo = connect(stack.mongodb_url)
    port, http_client = http_agencies(stack)
    queues = connector_queues(
        stack,
        temporal,
        mongo[stack.mongodb_database],
        port,
        lambda: AgencyDirectory.model_validate(state),
        sealer=stack.vault_sealer(),
    )
    try:
        await queues.sync()
        assert queues.serving() == {queue: Limits(concurrency=3, actions_per_second=None)}
        await queues.sync()  # nothing changed: the same worker keeps serving
        assert queues.serving() == {queue: Limits(concurrency=3, actions_per_second=None)}
        entry["concurrency"], entry["actions_per_second"] = 1, 2.0
        await queues.sync()
        assert queues.serving() == {queue: Limits(concurrency=1, actions_per_second=2.0)}
        entry["hosting"] = "agency"  # now the agency runs its own worker: OneStop's stops
        await queues.sync()
        assert queues.serving() == {}
        state["agencies"] = {}
        await queues.sync()
        assert queues.serving() == {}
    finally:
        await queues.close()
        await http_client.aclose()
        await mongo.close()
