"""The same Idempotency-Key returns the same case and starts one workflow only."""

from __future__ import annotations

import asyncio

from pymongo.asynchronous.database import AsyncDatabase
from temporalio.client import Client

from orchestrator.mongo import Document
from orchestrator.settings import Settings
from orchestrator.temporal_client import workflow_id
from orchestrator.vault import CaseDataStore
from tests.support import MOVE, CaseWatcher


async def test_same_key_same_case_one_workflow(watcher: CaseWatcher, citizen: str, temporal: Client) -> None:
    first, second = await asyncio.gather(
        watcher.trigger(citizen, "moving_house", MOVE, key="move-2026"),
        watcher.trigger(citizen, "moving_house", MOVE, key="move-2026"),
    )
    assert first.status_code == second.status_code == 202
    case_id = first.json()["case_id"]
    assert second.json()["case_id"] == case_id
    await watcher.wait(citizen, case_id)
    again = await watcher.trigger(citizen, "moving_house", MOVE, key="move-2026")
    assert again.json()["case_id"] == case_id
    runs = [wf async for wf in temporal.list_workflows(f"WorkflowId = '{workflow_id(case_id)}'")]
    assert len(runs) == 1
    assert len(await watcher.records("residence_registry", case_id)) == 1
    listed = await watcher.http.get("/v1/cases", headers=watcher.auth("citizen", citizen))
    assert listed.json()["count"] == 1


async def test_same_key_other_citizen_is_another_case(watcher: CaseWatcher, citizen: str) -> None:
    mine = await watcher.start(citizen, "moving_house", MOVE, key="shared-key")
    theirs = await watcher.start("other-" + citizen, "moving_house", MOVE, key="shared-key")
    assert mine != theirs


async def test_same_key_different_request_is_409(
    watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document], settings: Settings
) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE, key="k-409")
    response = await watcher.trigger(
        citizen, "moving_house", {**MOVE, "new_address": "elsewhere"}, key="k-409"
    )
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    # The refused request's data is stored nowhere, least of all under the first request's case.
    _, stored = await CaseDataStore(db, settings.vault_sealer()).request(case_id, ["new_address"])
    assert stored == {"new_address": MOVE["new_address"]}
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed"


async def test_identical_reports_without_a_key_are_one_case(
    watcher: CaseWatcher, citizen: str, temporal: Client
) -> None:
    """A double click or a blind retry: identical reports within the window are the first case."""
    answers = await asyncio.gather(*(watcher.trigger(citizen, "moving_house", MOVE) for _ in range(5)))
    assert {a.status_code for a in answers} == {202}
    [case_id] = {a.json()["case_id"] for a in answers}
    await watcher.wait(citizen, case_id)
    assert len(await watcher.records("residence_registry", case_id)) == 1
    other = await watcher.start(citizen, "moving_house", {**MOVE, "new_address": "9 Rua Nova"})
    assert other != case_id  # different data is a different report
    listed = await watcher.http.get("/v1/cases", headers=watcher.auth("citizen", citizen))
    assert listed.json()["count"] == 2
