"""Determinism guard: histories of real runs replay against the current engine.

`tests/histories/*.json` were recorded from the scenarios below on the real dev server; a change
to `LifeEventWorkflow` that would break cases already running fails here, in CI, before deploy.
Refresh them deliberately (after adding a `workflow.patched` branch, say) with
`ONESTOP_RECORD_HISTORIES=1 .venv/bin/pytest tests/test_replay.py`.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio import workflow
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from orchestrator.definition import LifeEventDefinition
from orchestrator.temporal_client import workflow_id
from tests.engine_variants import ReorderedEngine
from tests.support import MOVE, CaseWatcher
from tests.test_life_events_e2e import BIRTH
from workflows.life_event import LifeEventWorkflow

HISTORIES = Path(__file__).parent / "histories"


def _replayer(*workflows: type) -> Replayer:
    return Replayer(workflows=list(workflows) or [LifeEventWorkflow], data_converter=pydantic_data_converter)


def _load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def _recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", _recorded(), ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = _load(path)
    await _replayer().replay_workflow(history)


def test_histories_are_recorded() -> None:
    """Without recorded histories the guard above would pass by checking nothing."""
    assert {p.stem for p in _recorded()} >= {
        "completed",
        "compensated",
        "cancelled",
        "citizen_input",
        "review",
    }


async def test_non_deterministic_change_fails_replay() -> None:
    history = _load(HISTORIES / "completed.json")
    with pytest.raises(workflow.NondeterminismError):
        await _replayer(ReorderedEngine).replay_workflow(history)


def _with_removed_fields(definition: dict[str, Any]) -> dict[str, Any]:
    """A recorded definition as a later release sees it: carrying fields it no longer has, at
    every level (definition, input, step, retry)."""
    old = copy.deepcopy(definition)
    old["sla_days"] = 30
    old["inputs"][0]["hint"] = "as on your passport"
    old["steps"][0]["escalate_to"] = "supervisor"
    old["steps"][0]["retry"]["jitter"] = 0.1
    return old


def _recorded_input(history: dict[str, Any]) -> dict[str, Any]:
    """The workflow input (JSON) in a recorded history's first event: where the definition lives."""
    [payload] = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"]
    recorded: dict[str, Any] = json.loads(base64.b64decode(payload["data"]))
    return recorded


async def test_history_with_removed_definition_fields_replays() -> None:
    """Definitions travel inside workflow inputs, so removing a model field must not stop old
    histories from replaying: the models ignore keys they do not know (the catalog stays strict)."""
    history = json.loads((HISTORIES / "completed.json").read_text())
    [payload] = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"]
    recorded = _recorded_input(history)
    recorded["definition"] = _with_removed_fields(recorded["definition"])
    payload["data"] = base64.b64encode(json.dumps(recorded).encode()).decode()
    await _replayer().replay_workflow(WorkflowHistory.from_json("completed-removed-fields", history))


def test_pinned_definition_with_removed_fields_keeps_its_digest() -> None:
    """The definition store reads pinned definitions back tolerantly too, as the same definition."""
    recorded = _recorded_input(json.loads((HISTORIES / "completed.json").read_text()))["definition"]
    pinned = LifeEventDefinition.model_validate(recorded)
    assert LifeEventDefinition.model_validate(_with_removed_fields(recorded)).digest == pinned.digest
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        LifeEventDefinition.model_validate(_with_removed_fields(recorded), extra="forbid")


async def _run_scenarios(watcher: CaseWatcher, citizen: str) -> dict[str, str]:
    """One case per engine path; returns scenario name -> case id."""
    cases: dict[str, str] = {}
    cases["completed"] = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait(citizen, cases["completed"])
    await watcher.fault(agency="tax_office", subject=citizen, kind="reject", times=1)
    cases["compensated"] = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait(citizen, cases["compensated"])
    cases["cancelled"] = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait(citizen, cases["cancelled"], {"waiting"})
    await watcher.http.post(
        f"/v1/cases/{cases['cancelled']}:cancel", headers=watcher.auth("citizen", citizen)
    )
    cases["citizen_input"] = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait(citizen, cases["citizen_input"], {"waiting"})
    await watcher.http.post(
        f"/v1/cases/{cases['citizen_input']}/steps/transfer_school/input",
        json={"data": {"chosen_school": "Escola A"}},
        headers=watcher.auth("citizen", citizen),
    )
    cases["review"] = await watcher.start(citizen, "birth_registration", BIRTH)
    await watcher.wait(citizen, cases["review"], {"waiting"})
    await watcher.http.post(
        f"/v1/cases/{cases['review']}/steps/review_birth_documents/decision",
        json={"approved": True},
        headers=watcher.auth("agency", "officer", agency="civil_registry"),
    )
    for case_id in cases.values():
        await watcher.wait(citizen, case_id)
    return cases


async def test_this_sessions_histories_replay(watcher: CaseWatcher, citizen: str, temporal: Client) -> None:
    """Histories made now, by this code, replay: catches non-determinism inside one version."""
    cases = await _run_scenarios(watcher, citizen)
    replayer = _replayer()
    for name, case_id in cases.items():
        history = await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()
        await replayer.replay_workflow(history)
        if os.environ.get("ONESTOP_RECORD_HISTORIES") == "1":
            HISTORIES.mkdir(exist_ok=True)
            (HISTORIES / f"{name}.json").write_text(history.to_json())
