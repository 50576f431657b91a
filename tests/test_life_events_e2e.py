"""Birth, death and marriage end to end, including an agency's review decision over HTTP."""

from __future__ import annotations

from tests.support import CaseWatcher, step

BIRTH = {
    "child_name": "Minh Anh Nguyen",
    "child_birth_date": "2026-11-20",
    "birth_place": "Hanoi Obstetrics Hospital",
    "parent_name": "Thi Lan Nguyen",
    "parent_address": "15 Hang Bai, Hanoi",
    "medical_certificate_number": "MC-2026-118",
    "bank_account": "VN12 3456 7890",
}
DEATH = {
    "deceased_name": "Arthur Dent",
    "date_of_death": "2026-11-01",
    "place_of_death": "Leeds General Infirmary",
    "informant_name": "Tricia Dent",
    "received_pension": True,
    "had_passport": True,
}
MARRIAGE = {
    "spouse_a_name": "Yuna Kim",
    "spouse_b_name": "Joon Park",
    "marriage_date": "2026-10-10",
    "household_address": "3 Sejong-daero, Seoul",
}


async def _decide(watcher: CaseWatcher, case_id: str, agency: str, approved: bool, reason: str = "") -> int:
    response = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/review_birth_documents/decision",
        json={"approved": approved, "reason": reason},
        headers=watcher.auth("agency", f"{agency}-officer", agency=agency),
    )
    return response.status_code


async def test_birth_registration_with_approved_review(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "birth_registration", BIRTH)
    case = await watcher.wait(citizen, case_id, {"waiting"})
    assert step(case, "review_birth_documents")["status"] == "waiting"
    assert await _decide(watcher, case_id, "tax_office", True) == 404  # not its step: not even there
    citizen_try = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/review_birth_documents/decision",
        json={"approved": True},
        headers=watcher.auth("citizen", citizen),
    )
    assert citizen_try.status_code == 403
    assert await _decide(watcher, case_id, "civil_registry", True) == 200
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert {s["id"]: s["status"] for s in case["steps"]} == dict.fromkeys(
        [
            "register_birth",
            "review_birth_documents",
            "register_residence",
            "issue_health_card",
            "apply_child_benefit",
        ],
        "succeeded",
    )
    [benefit] = await watcher.records("social_benefits", case_id)
    assert benefit["fields"]["bank_account"] == "VN12 3456 7890"
    assert await _decide(watcher, case_id, "civil_registry", True) == 409


async def test_rejected_review_compensates_the_birth_case(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "birth_registration", BIRTH)
    await watcher.wait(citizen, case_id, {"waiting"})
    assert await _decide(watcher, case_id, "civil_registry", False, "certificate_invalid") == 200
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "compensated", case
    review = step(case, "review_birth_documents")
    assert review["status"] == "failed" and "certificate_invalid" in review["error"]
    assert step(case, "apply_child_benefit")["status"] == "skipped"
    for agency in ("civil_registry", "residence_registry", "health_insurance"):
        compensations = [r for r in await watcher.records(agency, case_id) if r["compensates"]]
        assert len(compensations) == 1, agency


async def test_death_tells_each_agency_once_and_skips_what_did_not_exist(
    watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await watcher.start(citizen, "death_of_relative", DEATH)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    statuses = {s["id"]: s["status"] for s in case["steps"]}
    assert statuses["stop_pension"] == statuses["cancel_passport"] == "succeeded"
    assert statuses["cancel_driving_licence"] == statuses["grant_funeral_allowance"] == "skipped"
    for agency in ("civil_registry", "residence_registry", "pension_office", "passport_office", "tax_office"):
        assert len(await watcher.records(agency, case_id)) == 1, agency
    assert await watcher.records("vehicle_registry", case_id) == []


async def test_marriage_changes_name_only_when_asked(watcher: CaseWatcher, citizen: str) -> None:
    keep = await watcher.start(citizen, "marriage", MARRIAGE)
    change = await watcher.start(
        citizen, "marriage", {**MARRIAGE, "change_surname": True, "new_surname": "Park"}
    )
    kept, changed = await watcher.wait(citizen, keep), await watcher.wait(citizen, change)
    assert kept["status"] == changed["status"] == "completed"
    assert step(kept, "change_name")["status"] == "skipped"
    assert step(changed, "change_name")["status"] == "succeeded"
    [record] = await watcher.records("national_id", change)
    assert record["fields"]["new_surname"] == "Park"


async def test_registry_asks_for_a_missing_document_then_approves(watcher: CaseWatcher, citizen: str) -> None:
    """Vietnam's registry may ask for what is missing: the review waits for the citizen, the
    answer is resubmitted (a new submission, a new record), and the registry decides again."""
    data = {k: v for k, v in BIRTH.items() if k != "medical_certificate_number"}
    case_id = await watcher.start(citizen, "birth_registration", data)
    await watcher.wait(citizen, case_id, {"waiting"})
    officer = watcher.auth("agency", "registrar-1", agency="civil_registry")
    url = f"/v1/cases/{case_id}/steps/review_birth_documents"
    too_much = await watcher.http.post(
        f"{url}/decision", json={"approved": False, "request_input": ["bank_account"]}, headers=officer
    )
    assert too_much.status_code == 422 and too_much.json()["field"] == "request_input"
    asked = await watcher.http.post(
        f"{url}/decision",
        json={"approved": False, "request_input": ["medical_certificate_number"], "note": "scan unreadable"},
        headers=officer,
    )
    assert asked.status_code == 200, asked.text
    review = await watcher.wait_step(citizen, case_id, "review_birth_documents", "citizen")
    assert review["asked_fields"] == ["medical_certificate_number"]
    early = await watcher.http.post(f"{url}/decision", json={"approved": True}, headers=officer)
    assert early.status_code == 409  # the registry waits for the citizen now
    answered = await watcher.http.post(
        f"{url}/input",
        json={"data": {"medical_certificate_number": "MC-2026-999"}},
        headers=watcher.auth("citizen", citizen),
    )
    assert answered.status_code == 200, answered.text
    await watcher.wait_step(citizen, case_id, "review_birth_documents", "agency")
    assert await _decide(watcher, case_id, "civil_registry", True) == 200
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    submissions = [
        r
        for r in await watcher.records("civil_registry", case_id)
        if r["step_id"] == "review_birth_documents"
    ]
    assert len(submissions) == 2
    assert submissions[1]["fields"]["medical_certificate_number"] == "MC-2026-999"
    notes = [e for e in case["timeline"] if e["event"] == "agency_note"]
    assert notes and notes[0]["detail"] == "scan unreadable"
