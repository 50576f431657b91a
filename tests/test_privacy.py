"""No plaintext personal data in Temporal histories or in logs: only references and flags."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
import structlog
from google.protobuf import json_format
from pymongo.asynchronous.database import AsyncDatabase
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from orchestrator.case_starter import start_case
from orchestrator.catalog import CatalogSource
from orchestrator.contracts import LifeEventInput
from orchestrator.intake import agency_terms
from orchestrator.mongo import Document
from orchestrator.payload_codec import COMPRESSION, EncryptionCodec, parse_keys
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id
from tests.support import MOVE, CaseWatcher, add_definition, step


def history_text(history_json: str, codec: EncryptionCodec | None = None) -> str:
    """The history with every payload decoded (and decrypted, given the codec): payload data is
    base64 in the JSON export, so a plain substring check on it would pass whatever it held."""
    decoded: list[str] = [history_json]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str) and "metadata" in node:
                payload = json_format.ParseDict(node, Payload())
                data = codec.decrypt(payload).data if codec else payload.data
                decoded.append(data.decode("utf-8", "replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return "\n".join(decoded)


PERSONAL = [MOVE["citizen_name"], MOVE["new_address"], "Escola Secreta"]


def session_codec(settings: Settings) -> EncryptionCodec:
    return EncryptionCodec(parse_keys(settings.payload_keys), settings.payload_key_id)


async def test_history_and_logs_hold_no_personal_values(
    watcher: CaseWatcher, citizen: str, temporal: Client, stack: Settings
) -> None:
    with structlog.testing.capture_logs() as logs:
        case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
        await watcher.wait(citizen, case_id, {"waiting"})
        answered = await watcher.http.post(
            f"/v1/cases/{case_id}/steps/transfer_school/input",
            json={"data": {"chosen_school": "Escola Secreta"}},
            headers=watcher.auth("citizen", citizen),
        )
        assert answered.status_code == 200
        case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed"
    recorded = await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()
    raw = recorded.to_json()
    codec = session_codec(stack)
    history = history_text(raw, codec)
    assert "chosen_school" in history  # the decoding works
    # The case's input (its definition) is compressed under the seal, and opens whole.
    [given] = recorded.events[0].workflow_execution_started_event_attributes.input.payloads
    opened = codec.decrypt(given)
    assert given.metadata[COMPRESSION] == b"zlib" and len(given.data) * 3 < len(opened.data), len(given.data)
    pseudonym = stack.pseudonyms().of(citizen)
    assert pseudonym in history and citizen not in history  # Temporal knows a pseudonym only
    [record] = await watcher.records("residence_registry", case_id)
    assert record["subject"] == citizen  # the agency is told whom the request is about
    sealed = history_text(raw)  # what anyone with read access to Temporal sees
    assert "chosen_school" not in sealed and citizen not in sealed and "transfer_school" not in sealed
    logged = repr(logs)
    assert "agency_acted" in logged
    for value in [*PERSONAL, citizen]:
        assert value not in history, value
        assert value not in logged, value


async def test_failures_notes_and_cancels_stay_out_of_history_and_logs(
    watcher: CaseWatcher,
    citizen: str,
    temporal: Client,
    stack: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The paths where people type free text (a cancel note) and where agencies answer errors
    carry codes through Temporal; the words stay in MongoDB."""
    caplog.set_level(logging.INFO)  # what runs in production; pymongo logs documents at DEBUG
    await watcher.fault(agency="tax_office", subject=citizen, kind="error", times=1)
    with structlog.testing.capture_logs() as logs:
        case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
        await watcher.wait(citizen, case_id, {"waiting"})
        cancelled = await watcher.http.post(
            f"/v1/cases/{case_id}:cancel",
            json={"reason": f"{MOVE['citizen_name']} found a flat elsewhere"},
            headers=watcher.auth("citizen", citizen),
        )
        assert cancelled.status_code == 200
        case = await watcher.wait(citizen, case_id)
    assert case["status"] == "cancelled"
    assert any(e["event"] == "cancel_note" and MOVE["citizen_name"] in e["detail"] for e in case["timeline"])
    history = history_text(
        (await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()).to_json(),
        session_codec(stack),
    )
    assert "citizen_request" in history
    logged = repr(logs) + caplog.text
    for value in [MOVE["citizen_name"], MOVE["new_address"]]:
        assert value not in history, value
        assert value not in logged, value


NAMELESS_MOVE = """\
type: nameless_move
version: 1
title: A move whose only field is optional, so its call needs no field at all
inputs:
  - {name: previous_address, type: string, required: false}
steps:
  - id: register_residence
    agency: residence_registry
    action: register_address
    inputs: [previous_address]
"""


async def test_an_agency_is_never_sent_the_pseudonym_when_the_case_data_is_gone(
    stack: Settings, watcher: CaseWatcher, citizen: str, temporal: Client, db: AsyncDatabase[Document]
) -> None:
    """The activity names the citizen from the vault; with the vault's record deleted before the
    call (and no field to miss) the step holds instead of filing the action under a pseudonym."""
    add_definition(stack.catalog_path, "nameless_move", NAMELESS_MOVE)
    definition = CatalogSource(stack.catalog_path).current().get("nameless_move")
    stores = CaseStores.on(db, stack.vault_sealer())
    case_id = str(uuid.uuid4())
    await stores.cases.create(case_id, citizen, definition, await stores.definitions.pin(definition), "h")
    await stores.vault.put(case_id, citizen, {})
    await db.case_data.delete_one({"_id": case_id})
    directory = CatalogSource(stack.catalog_path).current().directory
    case = LifeEventInput(
        case_id=case_id,
        citizen_id=stack.pseudonyms().of(citizen),
        definition=definition,
        agencies=agency_terms(directory, definition),
    )
    await start_case(temporal, stack.task_queue, case)
    try:
        held = step(await watcher.wait(citizen, case_id, {"needs_attention"}), "register_residence")
        assert held["last_error"] == "data_missing: the case's data is gone", held
        assert held["attention"].startswith("data_missing"), held
        assert await watcher.records("residence_registry", case_id) == []
    finally:
        await temporal.get_workflow_handle(workflow_id(case_id)).terminate("test over")
