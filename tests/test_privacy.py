"""No plaintext personal data in Temporal histories or in logs: only references and flags."""

from __future__ import annotations

import structlog
from temporalio.client import Client

from orchestrator.temporal_client import workflow_id
from tests.support import MOVE, CaseWatcher

PERSONAL = [MOVE["citizen_name"], MOVE["new_address"], "Escola Secreta"]


async def test_history_and_logs_hold_no_personal_values(
    watcher: CaseWatcher, citizen: str, temporal: Client
) -> None:
    with structlog.testing.capture_logs() as logs:
        case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
        await watcher.wait(citizen, case_id, {"waiting"})
        answered = await watcher.http.post(
            f"/v1/cases/{case_id}/steps/transfer_school/input",
            json={"data": {"chosen_school": "Escola Secreta"}},
            headers=watcher.auth("citizen", citizen),
        )
        assert answered.status_code == 202
        case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed"
    history = (await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()).to_json()
    assert case_id in history
    logged = repr(logs)
    assert "step_succeeded" in logged
    for value in PERSONAL:
        assert value not in history, value
        assert value not in logged, value
