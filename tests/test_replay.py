"""Determinism guard: histories of real runs replay against the engine code of their type.

`tests/histories/*.json` were recorded from the scenarios below on the real dev server: the
unprefixed ones from the v1 engine (`LifeEventWorkflow`, frozen in `workflows/legacy/`), the
`case_*` ones from `LifeEventCase`. A change that would break cases already running fails here,
in CI, before deploy. Recorded histories are never re-recorded or deleted: a deliberate engine
change adds new ones beside them (after its `workflow.patched` branch) with
`ONESTOP_RECORD_HISTORIES=1 .venv/bin/pytest tests/test_replay.py`, which writes only files that
do not exist yet.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from pydantic import ValidationError
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from orchestrator.definition import LifeEventDefinition
from orchestrator.payload_codec import EncryptionCodec, parse_keys
from orchestrator.settings import Settings
from orchestrator.temporal_client import data_converter, workflow_id
from tests.engine_variants import ReorderedCase, ReorderedEngine
from tests.support import IMPATIENT_MOVE, MOVE, CaseWatcher, add_definition, until_loaded
from tests.test_consent import CONSENTED_MOVE
from tests.test_consent import DATA as CONSENTED_DATA
from tests.test_life_events_e2e import BIRTH
from workflows.legacy.life_event_v1 import LifeEventWorkflow
from workflows.life_event import LifeEventCase

HISTORIES = Path(__file__).parent / "histories"
RECORDING = "case_e5"
"""The prefix of the histories this engine records: `case_` before the `step-activity-ids`
patch, `case_ids_` after it (each agency call's activity id names its step), `case_offers_`
after the `offers` patch (the shipped life events declare offers: `make_offers` at completion,
and the birth's follow-up schedule started as a child workflow), `case_quiet_` after
`quiet-step-starts` without offers (a start is projected with its wave's next change),
`case_quiet_offers_` with both, `case_e2_` after `engine-2` (one marker for all of them, and
an agency's answer projected with its step's success), `case_e3_` after `engine-3` (a success
projected with the next wave's next change), `case_e4_` with engine 4 (the revision in the input,
no marker), and `case_e5_` after `local-calls` (calls on the case's own queue start as local
activities)."""
RECORDED_BEFORE = (
    "case",
    "case_ids",
    "case_offers",
    "case_quiet",
    "case_quiet_offers",
    "case_e2",
    "case_e3",
    "case_e4",
)


def _replayer(*workflows: type, converter: DataConverter = pydantic_data_converter) -> Replayer:
    """Recorded histories are plain JSON (written before payload encryption); the session's own
    are encrypted and replay with the session's converter, which reads both."""
    return Replayer(workflows=list(workflows) or [LifeEventWorkflow, LifeEventCase], data_converter=converter)


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
    scenarios = {"completed", "compensated", "cancelled", "citizen_input", "review"}
    assert {p.stem for p in _recorded()} >= scenarios | {
        f"{prefix}_{s}" for prefix in (*RECORDED_BEFORE, RECORDING) for s in [*scenarios, "held"]
    } | {
        "case_ids_consent",
        "case_offers_consent",
        "case_quiet_offers_consent",
        "case_e2_consent",
        f"{RECORDING}_consent",
    }


@pytest.mark.parametrize(
    ("variant", "name"), [(ReorderedEngine, "completed"), (ReorderedCase, "case_completed")]
)
async def test_non_deterministic_change_fails_replay(variant: type, name: str) -> None:
    history = _load(HISTORIES / f"{name}.json")
    with pytest.raises(workflow.NondeterminismError):
        await _replayer(variant).replay_workflow(history)


def _with_engine(name: str, engine: int | None) -> WorkflowHistory:
    """A recorded history whose input says engine `engine` (None: says nothing, as before 4)."""
    history = json.loads((HISTORIES / f"{name}.json").read_text())
    [payload] = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"]
    recorded = _recorded_input(history)
    recorded.pop("engine", None)
    if engine is not None:
        recorded["engine"] = engine
    payload["data"] = base64.b64encode(json.dumps(recorded).encode()).decode()
    return WorkflowHistory.from_json(f"{name}-engine-{engine}", history)


@pytest.mark.parametrize("scenario", ["completed", "review", "held"])
async def test_an_engine_4_case_run_first_by_the_release_before_replays(scenario: str) -> None:
    """A worker of the release before ignores the input's revision and records `engine-3`; the
    engine of today consults that marker when it replays such a run."""
    await _replayer().replay_workflow(_with_engine(f"case_e3_{scenario}", 4))


async def test_the_input_revision_is_what_decides_a_run_without_markers() -> None:
    """Guard of the guard: an engine-4 history read as a run of engine 0 takes the oldest path
    and fails, so the revision in the input is what the replays above depend on."""
    with pytest.raises(workflow.NondeterminismError):
        await _replayer().replay_workflow(_with_engine("case_e4_completed", None))


def _patch_markers(history: WorkflowHistory) -> list[str]:
    return [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]


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


async def _run_scenarios(watcher: CaseWatcher, citizen: str, catalog: Path) -> dict[str, str]:
    """One case per engine path; returns scenario name -> case id."""
    cases: dict[str, str] = {}
    add_definition(catalog, "impatient_move", IMPATIENT_MOVE)
    await watcher.fault(agency="residence_registry", subject=citizen, kind="error", times=2)
    cases["held"] = await watcher.start(citizen, "impatient_move", {"citizen_name": "A", "new_address": "B"})
    await watcher.wait(citizen, cases["held"], {"needs_attention"})
    retried = await watcher.http.post(
        f"/v1/support/cases/{cases['held']}/steps/register_residence:retry",
        json={"reason": "agency_recovered"},
        headers=watcher.auth("support", "agent-1"),
    )
    assert retried.status_code == 200, retried.text
    cases["completed"] = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait(citizen, cases["completed"])
    await watcher.fault(agency="tax_office", subject=citizen, kind="reject", times=1)
    cases["compensated"] = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait(citizen, cases["compensated"])
    cases["cancelled"] = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait_step(citizen, cases["cancelled"], "transfer_school", "citizen")
    await watcher.http.post(
        f"/v1/cases/{cases['cancelled']}:cancel", headers=watcher.auth("citizen", citizen)
    )
    cases["citizen_input"] = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait_step(citizen, cases["citizen_input"], "transfer_school", "citizen")
    await watcher.http.post(
        f"/v1/cases/{cases['citizen_input']}/steps/transfer_school/input",
        json={"data": {"chosen_school": "Escola A"}},
        headers=watcher.auth("citizen", citizen),
    )
    cases["review"] = await watcher.start(citizen, "birth_registration", BIRTH)
    await watcher.wait_step(citizen, cases["review"], "review_birth_documents", "agency")
    await watcher.http.post(
        f"/v1/cases/{cases['review']}/steps/review_birth_documents/decision",
        json={"approved": True},
        headers=watcher.auth("agency", "officer", agency="civil_registry"),
    )
    add_definition(catalog, "consented_move", CONSENTED_MOVE)
    await until_loaded(watcher.http, watcher.auth("citizen", citizen), "consented_move")
    cases["consent"] = await watcher.start(citizen, "consented_move", CONSENTED_DATA)
    await watcher.wait_step(citizen, cases["consent"], "move_insurance", "citizen")
    consented = await watcher.http.post(
        f"/v1/cases/{cases['consent']}/steps/move_insurance/consent",
        json={"given": True},
        headers=watcher.auth("citizen", citizen),
    )
    assert consented.status_code == 200, consented.text
    for case_id in cases.values():
        await watcher.wait(citizen, case_id)
    return cases


async def test_this_sessions_histories_replay(
    watcher: CaseWatcher, citizen: str, temporal: Client, stack: Settings
) -> None:
    """Histories made now, by this code, replay: catches non-determinism inside one version."""
    cases = await _run_scenarios(watcher, citizen, stack.catalog_path)
    replayer = _replayer(converter=data_converter(stack))
    for name, case_id in cases.items():
        history = await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()
        # Engine 4: the input says what the run does, but for `local-calls`, a marker on purpose.
        assert len(_patch_markers(history)) == 1, name
        await replayer.replay_workflow(history)
        # Recorded histories replay on any machine, so they are kept decrypted: check that form too.
        plain = _decrypted(history.to_json_dict(), _codec(stack))
        await _replayer().replay_workflow(WorkflowHistory.from_json(history.workflow_id, plain))
        target = HISTORIES / f"{RECORDING}_{name}.json"
        if os.environ.get("ONESTOP_RECORD_HISTORIES") == "1" and not target.exists():
            target.write_text(json.dumps(plain))


def _codec(settings: Settings) -> EncryptionCodec:
    return EncryptionCodec(parse_keys(settings.payload_keys), settings.payload_key_id)


def _decrypted(node: Any, codec: EncryptionCodec) -> Any:
    """Every encrypted payload in a history's JSON form, replaced by its plain form."""
    if isinstance(node, list):
        return [_decrypted(item, codec) for item in node]
    if not isinstance(node, dict):
        return node
    if {"metadata", "data"} <= node.keys() and isinstance(node["metadata"], dict):
        payload = json_format.ParseDict(node, Payload())
        return json_format.MessageToDict(codec.decrypt(payload))
    return {key: _decrypted(value, codec) for key, value in node.items()}
