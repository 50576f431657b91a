"""Moving house end to end: real API, real Temporal dev server, real SecantusDB, simulators."""

from __future__ import annotations

from tests.support import MOVE, CaseWatcher, step

AGENCIES = {
    "register_residence": "residence_registry",
    "update_national_id": "national_id",
    "update_tax": "tax_office",
    "update_health_insurance": "health_insurance",
    "update_vehicle": "vehicle_registry",
    "update_electoral_roll": "electoral_roll",
}


async def test_every_agency_holds_exactly_one_record(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    statuses = {s["id"]: s["status"] for s in case["steps"]}
    assert statuses == {**dict.fromkeys(AGENCIES, "succeeded"), "transfer_school": "skipped"}
    for step_id, agency in AGENCIES.items():
        records = await watcher.records(agency, case_id)
        assert len(records) == 1, (agency, records)
        assert records[0]["step_id"] == step_id
        assert records[0]["subject"] == citizen
        assert step(case, step_id)["reference"] == records[0]["reference"]


async def test_agencies_receive_only_their_fields(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    [tax] = await watcher.records("tax_office", case_id)
    assert set(tax["fields"]) == {"citizen_name", "new_address", "move_date"}
    assert step(case, "update_tax")["shared_fields"] == ["citizen_name", "move_date", "new_address"]
    [nid] = await watcher.records("national_id", case_id)
    assert "move_date" not in nid["fields"]


async def test_timeline_records_each_step(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    events = [(e["event"], e.get("step")) for e in case["timeline"]]
    assert events[0] == ("case_accepted", None)
    assert events[-1] == ("case_completed", None)
    for step_id in AGENCIES:
        assert ("step_started", step_id) in events
        assert ("step_succeeded", step_id) in events


async def test_vehicle_step_skipped_without_vehicle(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "owns_vehicle": False})
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed"
    vehicle = step(case, "update_vehicle")
    assert vehicle["status"] == "skipped"
    assert "condition false" in vehicle["error"]
    assert await watcher.records("vehicle_registry", case_id) == []


async def test_citizen_lists_own_cases_only(watcher: CaseWatcher, citizen: str) -> None:
    mine = await watcher.start(citizen, "moving_house", MOVE)
    other = "someone-else-" + citizen
    theirs = await watcher.start(other, "moving_house", MOVE)
    response = await watcher.http.get("/v1/cases", headers=watcher.auth("citizen", citizen))
    assert response.status_code == 200
    body = response.json()
    ids = [c["case_id"] for c in body["data"]]
    assert mine in ids and theirs not in ids
    assert body["count"] == len(ids)
