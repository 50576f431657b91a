"""The read model as a projection of the workflow, end to end: it follows the workflow through a
`temporal workflow reset`, it is rebuilt from Temporal when it falls behind (the worker's sweep
and `onestop cases resync`), and a step whose declared data is missing holds instead of calling
its agency."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from pymongo.asynchronous.database import AsyncDatabase
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client

from orchestrator.catalog import CatalogSource
from orchestrator.contracts import CaseState
from orchestrator.mongo import Document
from orchestrator.reconciler import Reconciler
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id
from tests.support import MOVE, CaseWatcher, step

ONESTOP = str(Path(sys.executable).parent / "onestop")


async def _workflow_state(temporal: Client, case_id: str) -> CaseState:
    handle = temporal.get_workflow_handle(workflow_id(case_id))
    state: CaseState = await handle.query("state", result_type=CaseState)
    return state


async def _matches_workflow(watcher: CaseWatcher, temporal: Client, citizen: str, case_id: str) -> None:
    state = await _workflow_state(temporal, case_id)
    case = await watcher.case(citizen, case_id)
    assert case["status"] == state.status.value, (case, state)
    assert [(s["id"], s["status"]) for s in case["steps"]] == [(s.id, s.status.value) for s in state.steps]


async def test_a_reset_case_is_projected_as_its_new_run_sees_it(
    watcher: CaseWatcher, citizen: str, temporal: Client
) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait(citizen, case_id)
    handle = temporal.get_workflow_handle(workflow_id(case_id))
    first_task = None
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            first_task = event.event_id
            break
    assert first_task is not None
    described = await handle.describe()
    reset = await temporal.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace="default",
            workflow_execution=WorkflowExecution(workflow_id=workflow_id(case_id), run_id=described.run_id),
            reason="test: re-run after a code fix",
            workflow_task_finish_event_id=first_task,
            request_id=str(uuid.uuid4()),
        )
    )
    new_run = temporal.get_workflow_handle(workflow_id(case_id), run_id=reset.run_id, result_type=CaseState)
    final = await new_run.result()
    assert final.status.value == "completed"
    for _ in range(100):  # the projector's last write lands with the workflow's completion
        if (await watcher.case(citizen, case_id))["status"] == "completed":
            break
    await _matches_workflow(watcher, temporal, citizen, case_id)
    assert len(await watcher.records("tax_office", case_id)) == 1  # same idempotency key: one record


async def test_a_read_model_left_behind_is_rebuilt_by_the_sweep_and_the_cli(
    watcher: CaseWatcher, citizen: str, temporal: Client, db: AsyncDatabase[Document], stack: Settings
) -> None:
    """As after a database crash that lost the last writes: the case shows running while
    Temporal has it completed."""
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait(citizen, case_id)
    stale = {"status": "running", "revision": 1, "revision_at": None, "steps.0.status": "running"}
    await db.cases.update_one({"_id": case_id}, {"$set": stale})
    assert (await watcher.case(citizen, case_id))["status"] == "running"
    directory = CatalogSource(stack.catalog_path).directory
    reconciler = Reconciler(
        CaseStores.on(db, stack.vault_sealer()),
        temporal,
        stack.task_queue,
        directory,
        pseudonyms=stack.pseudonyms(),
    )
    await reconciler.sweep(timedelta(0))
    await _matches_workflow(watcher, temporal, citizen, case_id)
    assert (await watcher.case(citizen, case_id))["status"] == "completed"

    await db.cases.update_one({"_id": case_id}, {"$set": stale})
    env = {
        "ONESTOP_HOME": str(stack.home),
        "ONESTOP_ENVIRONMENT": "test",
        "ONESTOP_TEMPORAL_ADDRESS": stack.temporal_address,
        "ONESTOP_MONGODB_URL": stack.mongodb_url,
        "ONESTOP_MONGODB_DATABASE": stack.mongodb_database,
        "ONESTOP_CATALOG_PATH": str(stack.catalog_path),
        "ONESTOP_JWT_SECRET": stack.jwt_secret,
        "ONESTOP_LOG_JSON": "true",
        "PATH": str(Path(sys.executable).parent),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [ONESTOP, "cases", "resync", case_id, "no-such-case"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # one of the two does not exist
    assert f"{case_id} projected" in done.stdout and "no-such-case not found" in done.stdout
    await _matches_workflow(watcher, temporal, citizen, case_id)


async def test_a_step_whose_declared_data_is_missing_holds_instead_of_calling_its_agency(
    watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait_step(citizen, case_id, "transfer_school", "citizen")
    await db.case_data.update_one({"_id": case_id}, {"$unset": {"data.new_address": ""}})  # as a lost write
    case = await watcher.case(citizen, case_id)
    answered = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/transfer_school/input",
        json={"data": {"chosen_school": "Escola A"}},
        headers=watcher.auth("citizen", citizen),
    )
    assert answered.status_code == 200, answered.text
    case = await watcher.wait(citizen, case_id, {"needs_attention"})
    school = step(case, "transfer_school")
    assert school["status"] == "needs_attention"
    assert school["attention"].startswith("data_missing: new_address")
    assert await watcher.records("school_office", case_id) == []
