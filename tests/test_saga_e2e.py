"""Saga compensation end to end: what a failing step, an optional step and a citizen's cancel
leave behind at every agency, checked in the simulators' records."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from temporalio.client import Client

from orchestrator.temporal_client import workflow_id
from tests.support import MOVE, CaseWatcher, step

COMPENSABLE = {
    "register_residence": "residence_registry",
    "update_national_id": "national_id",
    "update_health_insurance": "health_insurance",
    "update_vehicle": "vehicle_registry",
    "update_electoral_roll": "electoral_roll",
}


async def _records(watcher: CaseWatcher, case_id: str, agency: str) -> tuple[list[Any], list[Any]]:
    """(actions, compensations) an agency holds for a case."""
    records = await watcher.records(agency, case_id)
    return [r for r in records if not r["compensates"]], [r for r in records if r["compensates"]]


async def test_rejected_required_step_compensates_each_done_step_once(
    watcher: CaseWatcher, citizen: str
) -> None:
    await watcher.fault(agency="tax_office", subject=citizen, kind="reject", code="outside_jurisdiction")
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "compensated", case
    tax = step(case, "update_tax")
    assert tax["status"] == "failed"
    assert "outside_jurisdiction" in tax["error"]
    assert await watcher.records("tax_office", case_id) == []
    undone_at = {}
    for step_id, agency in COMPENSABLE.items():
        actions, compensations = await _records(watcher, case_id, agency)
        assert len(actions) == 1 and len(compensations) == 1, (agency, actions, compensations)
        assert actions[0]["compensated_at"] is not None
        assert compensations[0]["compensates"] == actions[0]["idempotency_key"]
        assert step(case, step_id)["status"] == "compensated"
        undone_at[step_id] = compensations[0]["created_at"]
    assert max(undone_at, key=lambda s: undone_at[s]) == "register_residence"  # undone last: done first
    events = [(e["event"], e.get("step")) for e in case["timeline"]]
    assert ("step_failed", "update_tax") in events
    assert ("compensation_started", None) in events
    assert events[-1] == ("case_compensated", None)


async def test_optional_step_failure_compensates_nothing(watcher: CaseWatcher, citizen: str) -> None:
    await watcher.fault(agency="electoral_roll", subject=citizen, kind="reject", code="not_registered")
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert step(case, "update_electoral_roll")["status"] == "failed"
    for agency in ("residence_registry", "national_id", "tax_office"):
        actions, compensations = await _records(watcher, case_id, agency)
        assert len(actions) == 1 and compensations == []


async def test_transient_errors_retry_to_one_record(watcher: CaseWatcher, citizen: str) -> None:
    await watcher.fault(agency="national_id", subject=citizen, kind="error", times=2)
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    national_id = step(case, "update_national_id")
    assert national_id["attempts"] == 3 and national_id["last_error"] is None
    assert len(await watcher.records("national_id", case_id)) == 1
    events = [e["event"] for e in case["timeline"] if e.get("step") == "update_national_id"]
    assert events.count("agency_unavailable") == 1  # once per outage, not once per attempt


async def _visible(temporal: Client, query: str, workflow: str) -> bool:
    """Temporal's visibility finds the workflow (it is eventually consistent: poll, for as long as
    `test_replay_check` gives it and more, since a loaded machine writes visibility late)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if workflow in [w.id async for w in temporal.list_workflows(query)]:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_failed_undo_holds_for_support_then_completes_the_rollback(
    watcher: CaseWatcher, citizen: str, temporal: Client
) -> None:
    """An undo the agency refuses holds the case for support instead of leaving a record behind;
    a support retry after the fix undoes it, and the audit trail says who retried."""
    await watcher.fault(agency="tax_office", subject=citizen, kind="reject")
    await watcher.fault(
        agency="national_id", action="revert_address", subject=citizen, kind="reject", times=1
    )
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id, {"needs_attention"})
    national_id = step(case, "update_national_id")
    assert national_id["status"] == "needs_attention" and national_id["waiting_for"] == "support"
    assert "undo" in national_id["attention"]
    query = (
        "OneStopStatus = 'needs_attention' AND OneStopAgency = 'national_id' AND OneStopType = 'moving_house'"
    )
    assert await _visible(temporal, query, workflow_id(case_id))  # findable in Temporal's UI and CLI
    support = watcher.auth("support", "agent-7")
    body = {"reason": "agency_fixed", "note": "national ID desk reverted their rule"}
    wrong = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/update_tax:retry", json=body, headers=support
    )
    assert wrong.status_code == 409, wrong.text
    citizen_try = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/update_national_id:retry",
        json=body,
        headers=watcher.auth("citizen", citizen),
    )
    assert citizen_try.status_code == 403
    retried = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/update_national_id:retry", json=body, headers=support
    )
    assert retried.status_code == 200, retried.text
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "compensated", case
    assert step(case, "update_national_id")["status"] == "compensated"
    actions, compensations = await _records(watcher, case_id, "national_id")
    assert len(actions) == len(compensations) == 1 and actions[0]["compensated_at"] is not None
    acted = [e for e in case["timeline"] if e["event"] == "support_retry"]
    assert acted and acted[0]["by"] == "agent-7" and acted[0]["role"] == "support"
    assert any(e["event"] == "support_note" for e in case["timeline"])


async def test_citizen_answers_school_question(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 2})
    case = await watcher.wait(citizen, case_id, {"waiting"})
    assert step(case, "transfer_school")["status"] == "waiting"
    url = f"/v1/cases/{case_id}/steps/transfer_school/input"
    headers = watcher.auth("citizen", citizen)
    missing = await watcher.http.post(url, json={"data": {}}, headers=headers)
    assert missing.status_code == 422 and missing.json()["field"] == "data.chosen_school"
    extra = await watcher.http.post(url, json={"data": {"chosen_school": "x", "pet": "cat"}}, headers=headers)
    assert extra.status_code == 422 and extra.json()["field"] == "data.pet"
    other = await watcher.http.post(
        url, json={"data": {"chosen_school": "x"}}, headers=watcher.auth("citizen", "x")
    )
    assert other.status_code == 404
    wrong_step = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/update_tax/input", json={"data": {"chosen_school": "x"}}, headers=headers
    )
    assert wrong_step.status_code == 409
    answered = await watcher.http.post(
        url, json={"data": {"chosen_school": "Escola Básica do Bonfim"}}, headers=headers
    )
    assert answered.status_code == 200, answered.text
    again = await watcher.http.post(url, json={"data": {"chosen_school": "Another school"}}, headers=headers)
    assert again.status_code == 409  # answered once: a retried agency call cannot send other data
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    [school] = await watcher.records("school_office", case_id)
    assert school["fields"]["chosen_school"] == "Escola Básica do Bonfim"
    assert step(case, "transfer_school")["shared_fields"] == ["chosen_school", "move_date", "new_address"]


async def test_citizen_cancel_mid_case_compensates(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait(citizen, case_id, {"waiting"})
    response = await watcher.http.post(
        f"/v1/cases/{case_id}:cancel",
        json={"reason": "we are not moving after all"},
        headers=watcher.auth("citizen", citizen),
    )
    assert response.status_code == 200, response.text
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "cancelled", case
    assert step(case, "transfer_school")["status"] == "skipped"
    for step_id, agency in COMPENSABLE.items():
        actions, compensations = await _records(watcher, case_id, agency)
        assert len(actions) == len(compensations) == 1, agency
        assert step(case, step_id)["status"] == "compensated"
    again = await watcher.http.post(f"/v1/cases/{case_id}:cancel", headers=watcher.auth("citizen", citizen))
    assert again.status_code == 409


async def test_cancel_someone_elses_case_is_404(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    response = await watcher.http.post(
        f"/v1/cases/{case_id}:cancel", headers=watcher.auth("citizen", "intruder")
    )
    assert response.status_code == 404
    support = await watcher.http.post(f"/v1/cases/{case_id}:cancel", headers=watcher.auth("support", "s-1"))
    assert support.status_code == 200
    assert (await watcher.wait(citizen, case_id))["status"] == "cancelled"
